"""Load-time checks of a saved model folder, run before anything is trusted.

:func:`~specauth.hub.load_pretrained` reads a folder that may be damaged
(a truncated download, a full disk) or hostile (edited to exhaust memory or to
relabel predictions). Every problem found here is a ``ValueError`` that names
the file, and the checks run *before* the memory a file asks for is allocated:

- JSON (``config.json``, and the config inside ``network.keras``) must be
  UTF-8, at most :data:`MAX_JSON_BYTES` long and nested at most
  :data:`MAX_JSON_DEPTH` levels deep;
- every array of ``arrays.npz`` is checked from its ``.npy`` header first: no
  Python objects (they would need pickle), and the declared shape and dtype
  must account for exactly the bytes the member holds, at most
  :data:`MAX_PART_BYTES`; only then is it read;
- ``network.keras`` must be a zip holding a config whose numbers are at most
  :data:`MAX_NETWORK_DIM` (``seed`` excepted), and whose ``Dense``,
  ``Conv*`` and ``Embedding`` layers imply no more weights than its weights
  file holds bytes (every weight takes at least one byte), so a layer
  edited to ``Dense(units=10**12)`` is refused before Keras builds it;
- from format version 2 on, ``config.json`` lists the sha256 and size of each
  part (``files``); a part that no longer matches is refused. The model card
  ``README.md`` is not listed: it is meant to be edited;
- the restored parts must fit together: ``classes_`` sorted and unique (as
  ``LabelEncoder`` writes them, so a reversed array cannot silently relabel
  predictions) and as many as the network's outputs, the fitted numbers
  finite, and the per-feature arrays of the scikit-learn steps as wide as
  their ``n_features_in_``;
- a chemotools step holds only its width (at most :data:`MAX_FEATURES`
  columns), its column names and the arrays its class learns, each of the
  shape that fitting it on a probe spectrum of that width gives.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import zipfile
import zlib
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth.axis import SpectralAxis

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "MANIFEST_VERSION",
    "MAX_JSON_BYTES",
    "MAX_FEATURES",
    "MAX_JSON_DEPTH",
    "MAX_NETWORK_DIM",
    "MAX_PART_BYTES",
    "check_manifest",
    "check_learned_array",
    "check_network_file",
    "check_refit_state",
    "check_state",
    "file_entry",
    "load_arrays",
    "read_json_file",
]

MANIFEST_VERSION = 2
"""First format version whose ``config.json`` lists the parts' sha256."""
MAX_JSON_BYTES = 64 * 2**20
"""Largest JSON file read (64 MiB)."""
MAX_JSON_DEPTH = 100
"""Deepest nesting of lists and objects accepted in a JSON file."""
MAX_PART_BYTES = 2**32
"""Largest array, and largest file inside ``network.keras`` (4 GiB)."""
MAX_NETWORK_DIM = 2**20
"""Largest number (units, filters, input length, ...) in a network config."""
MAX_FEATURES = 2**22
"""Most columns a chemotools step may declare (it is refitted at that width)."""

PART_NAME = re.compile(r"arrays\.npz|network(_[0-9]+)?\.keras")
_ERRORS = (ValueError, EOFError, OSError, zipfile.BadZipFile, zlib.error)
# Fitted attributes that may hold NaN or infinity: scores and training logs.
_NON_FINITE_OK = frozenset(
    {"calibration_scores_", "train_scores_", "history_", "lr_finder_"}
)
# Per-feature arrays of the scikit-learn classes that may be saved.
_PER_FEATURE = frozenset(
    {"mean_", "var_", "scale_", "min_", "data_min_", "data_max_", "data_range_"}
    | {"center_", "max_abs_", "components_"}
)
# Layers whose kernel is exactly (input channels / groups) x kernel x outputs.
_KERNEL_LAYERS = frozenset(
    f"{kind}{suffix}"
    for kind in ("Conv1D", "Conv2D", "Conv3D")
    for suffix in ("", "Transpose")
) | {"Dense"}


# --------------------------------------------------------------------- JSON
def _check_depth(value, where):
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            raise ValueError(
                f"{where} is nested deeper than {MAX_JSON_DEPTH} levels: it was "
                "not written by specauth and is not loaded."
            )
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)


def read_json(data: bytes, where: str) -> Any:
    """Decode UTF-8 JSON ``data``; a ValueError naming ``where`` otherwise."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{where} is not UTF-8 text ({err}).") from err
    try:
        value = json.loads(text)
    except RecursionError as err:
        raise ValueError(
            f"{where} is nested deeper than {MAX_JSON_DEPTH} levels: it was not "
            "written by specauth and is not loaded."
        ) from err
    except json.JSONDecodeError as err:
        raise ValueError(f"{where} is not valid JSON: {err}") from err
    _check_depth(value, where)
    return value


def read_json_file(path: Path) -> Any:
    """Read a JSON file no larger than :data:`MAX_JSON_BYTES`."""
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise ValueError(
            f"{path} is {size} bytes, more than the {MAX_JSON_BYTES} a saved "
            "config may be."
        )
    return read_json(path.read_bytes(), str(path))


# ----------------------------------------------------------------- manifest
def file_entry(path: Path) -> dict[str, Any]:
    """The manifest entry of a part: its sha256 and size in bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(2**20), b""):
            digest.update(block)
    return {"sha256": digest.hexdigest(), "size": path.stat().st_size}


def check_manifest(folder: Path, config: dict[str, Any]) -> dict[str, Any] | None:
    """Check each part listed in ``config["files"]``; return the listing.

    ``None`` for folders saved before the manifest (format version 1), which
    load with the other checks only.
    """
    config_file = folder / "config.json"
    version = config["format_version"]
    if version < MANIFEST_VERSION:
        return None
    files = config.get("files")
    if not isinstance(files, dict):
        raise ValueError(
            f"{config_file} has format version {version} but no 'files' manifest "
            "(sha256 of each part): it was altered; save the model again."
        )
    if "arrays.npz" not in files:
        raise ValueError(
            f"{folder / 'arrays.npz'} is not listed in the 'files' manifest of "
            f"{config_file}."
        )
    for name, entry in files.items():
        if not (isinstance(name, str) and PART_NAME.fullmatch(name)):
            raise ValueError(
                f"{config_file} lists {name!r} in 'files': only 'arrays.npz' and "
                "'network.keras', 'network_1.keras', ... may be listed."
            )
        if not (isinstance(entry, dict) and isinstance(entry.get("sha256"), str)):
            raise ValueError(f"{config_file}: 'files' entry {name!r} has no sha256.")
        part = folder / name
        if not part.is_file():
            raise FileNotFoundError(
                f"{str(folder)!r} has no {name}, listed in config.json."
            )
        if part.stat().st_size != entry.get("size") or (
            file_entry(part)["sha256"] != entry["sha256"]
        ):
            raise ValueError(
                f"{part} does not match the sha256 recorded in {config_file}: it "
                "was changed or damaged after saving. Restore it or save the "
                "model again."
            )
    return files


# --------------------------------------------------------------- arrays.npz
def _read_header(stream, where):
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise ValueError(f".npy format version {version} is not supported")
    if dtype.hasobject:
        raise ValueError(
            f"{where} holds Python objects (dtype {dtype}), which would need "
            "pickle; specauth never unpickles."
        )
    return shape, dtype


def _check_member(archive, info, where):
    """Check one ``.npy`` member's header against its size, before reading."""
    if info.file_size > MAX_PART_BYTES:
        raise ValueError(
            f"{where} is {info.file_size} bytes, more than the {MAX_PART_BYTES} "
            "a saved array may be."
        )
    try:
        with archive.open(info) as stream:
            shape, dtype = _read_header(stream, where)
            offset = stream.tell()
    except _ERRORS as err:
        if str(err).startswith(where):
            raise
        raise ValueError(f"{where} has no valid .npy header: {err}") from err
    size = math.prod(shape) * dtype.itemsize
    if offset + size != info.file_size:
        raise ValueError(
            f"{where} declares shape {shape} of {dtype} ({size} bytes) but holds "
            f"{info.file_size - offset} bytes of data: it is damaged or was "
            "altered."
        )


def load_arrays(arrays_file: Path) -> dict[str, np.ndarray]:
    """Read every array of ``arrays.npz``, each checked before it is read."""
    try:
        archive = zipfile.ZipFile(arrays_file)
    except _ERRORS as err:
        raise ValueError(
            f"{arrays_file} is not a readable .npz archive ({err}): it is damaged "
            "or truncated; save the model again."
        ) from err
    arrays = {}
    with archive:
        for info in archive.infolist():
            where = f"{arrays_file} ({info.filename})"
            if not info.filename.endswith(".npy"):
                raise ValueError(f"{where} is not a .npy array.")
            _check_member(archive, info, where)
            try:
                with archive.open(info) as stream:
                    array = np.lib.format.read_array(stream, allow_pickle=False)
            except _ERRORS as err:
                raise ValueError(f"{where} cannot be read: {err}") from err
            arrays[info.filename[: -len(".npy")]] = array
    return arrays


# ------------------------------------------------------------ network.keras
def _layers(config):
    """Every layer dict (``class_name`` + ``config``) in a Keras config."""
    stack, found = [config], []
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("config"), dict) and "class_name" in item:
                found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _numbers(config):
    """``(layer name, key, number)`` of every int or float, bools excepted."""
    stack = [(config, None, "the network")]
    while stack:
        value, key, layer = stack.pop()
        if isinstance(value, dict):
            if "class_name" in value and isinstance(value.get("config"), dict):
                layer = value["config"].get("name", value["class_name"])
            stack.extend((item, name, layer) for name, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, key, layer) for item in value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            yield layer, key, value


def _is_size(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _implied_weights(layer):
    """Weights a Dense, Conv or Embedding layer will allocate (0 if unknown)."""
    config = layer["config"]
    if layer["class_name"] == "Embedding":
        dims = (config.get("input_dim"), config.get("output_dim"))
        return math.prod(dims) if all(_is_size(d) for d in dims) else 0
    shape = (layer.get("build_config") or {}).get("input_shape")
    if layer["class_name"] not in _KERNEL_LAYERS or not isinstance(shape, list):
        return 0
    first = config.get("data_format") == "channels_first" and len(shape) > 1
    channels = shape[1] if first else shape[-1] if shape else None
    outputs = config.get("units", config.get("filters"))
    kernel = config.get("kernel_size", [])
    kernel = kernel if isinstance(kernel, list) else [kernel]
    groups = config.get("groups", 1)
    if not all(_is_size(v) for v in (channels, outputs, groups, *kernel)):
        return 0
    return channels // groups * math.prod(kernel) * outputs


def _check_network_config(config, where, weights_bytes):
    for name, key, value in _numbers(config):
        if key != "seed" and abs(value) > MAX_NETWORK_DIM:
            raise ValueError(
                f"{where}: layer {name!r} sets {key!r} to {value}; specauth "
                f"loads networks whose sizes are at most {MAX_NETWORK_DIM}."
            )
    total = 0
    for layer in _layers(config):
        name = layer["config"].get("name", layer["class_name"])
        weights = _implied_weights(layer)
        total += weights
        if total > weights_bytes:
            raise ValueError(
                f"{where}: layer {name!r} implies at least {weights} weights "
                f"({total} up to it), but the weights file holds only "
                f"{weights_bytes} bytes: the config was altered."
            )


def check_network_file(network_file: Path) -> None:
    """Check a ``.keras`` file's sizes and config before Keras reads it."""
    try:
        archive = zipfile.ZipFile(network_file)
    except _ERRORS as err:
        raise ValueError(
            f"{network_file} is not a readable .keras archive ({err}): it is "
            "damaged or truncated; save the model again."
        ) from err
    with archive:
        infos = {info.filename: info for info in archive.infolist()}
        for info in infos.values():
            if info.file_size > MAX_PART_BYTES:
                raise ValueError(
                    f"{network_file} holds {info.filename} of {info.file_size} "
                    f"bytes, more than {MAX_PART_BYTES}."
                )
        found = infos.get("config.json")
        if found is None or found.file_size > MAX_JSON_BYTES:
            raise ValueError(
                f"{network_file} has no config.json of at most {MAX_JSON_BYTES} "
                "bytes: it is not a Keras model file."
            )
        try:
            data = archive.read(found)
        except _ERRORS as err:
            raise ValueError(f"{network_file} cannot be read: {err}") from err
    # The weights (model.weights.h5 in Keras 3) and any assets: what is stored.
    stored = sum(
        info.file_size
        for name, info in infos.items()
        if name not in ("config.json", "metadata.json")
    )
    config = read_json(data, f"{network_file} (its config.json)")
    _check_network_config(config, network_file, stored)


# ------------------------------------------------ parts against each other
def _check_classes(name, state, folder):
    classes = state["classes_"]
    try:
        ordered = np.ndim(classes) == 1 and np.array_equal(np.unique(classes), classes)
    except TypeError:
        ordered = False
    if not ordered:
        raise ValueError(
            f"`classes_` of {name} in {folder / 'arrays.npz'} must be sorted and "
            "unique, as LabelEncoder writes them (a reordered array would "
            f"relabel the predictions); got {np.asarray(classes).tolist()!r}."
        )
    network = state.get("network_")
    outputs = getattr(network, "output_shape", (None,))[-1]
    if isinstance(outputs, int) and outputs != len(classes):
        raise ValueError(
            f"`classes_` of {name} holds {len(classes)} labels but its network "
            f"has {outputs} outputs ({folder}): the saved parts do not fit "
            "together."
        )
    inner = getattr(state.get("classifier_"), "classes_", None)
    if inner is not None and not np.array_equal(inner, classes):
        raise ValueError(
            f"`classes_` of {name} differs from its classifier's ({folder})."
        )


def _check_finite(name, key, value, folder):
    if key == "threshold_" and (
        isinstance(value, bool) or not isinstance(value, (int, float, np.number))
    ):
        raise ValueError(
            f"`threshold_` of {name} in {folder / 'config.json'} must be a finite "
            f"number; got {value!r}."
        )
    if key in _NON_FINITE_OK:
        return
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        raise ValueError(
            f"`{key}` of {name} in {folder / 'config.json'} must be a finite "
            f"number; got {value!r}."
        )
    if isinstance(value, np.ndarray) and value.dtype.kind in "fc":
        if not np.isfinite(value).all():
            raise ValueError(
                f"`{key}` of {name} in {folder / 'arrays.npz'} holds NaN or "
                "infinite values."
            )


def check_state(estimator: Any, state: dict[str, Any], folder: Path) -> None:
    """Check a restored fitted ``state`` of ``estimator`` for consistency."""
    name = type(estimator).__name__
    for key, value in state.items():
        _check_finite(name, key, value, folder)
    if "classes_" in state:
        _check_classes(name, state, folder)
    width = state.get("n_features_in_")
    if not type(estimator).__module__.startswith("sklearn.") or width is None:
        return
    for key in sorted(_PER_FEATURE & set(state)):
        value = state[key]
        if isinstance(value, np.ndarray) and value.ndim and value.shape[-1] != width:
            raise ValueError(
                f"`{key}` of {name} has {value.shape[-1]} columns; `n_features_in_` "
                f"in {folder / 'config.json'} says {width}: the saved parts do "
                "not fit together."
            )


# ---------------------------------------------------------- chemotools steps
def check_refit_state(
    class_path: str, state: dict[str, Any], learned: tuple[str, ...], folder: Path
) -> int:
    """Check the saved state of a chemotools step; return its width.

    Only ``n_features_in_``, ``feature_names_in_``, the spectral axes
    ``axis_`` and ``axis_out_`` and the ``learned`` arrays of the class may be
    saved, all of the last must be.
    """
    where = f"{class_path} in {folder / 'config.json'}"
    allowed = {"n_features_in_", "feature_names_in_", "axis_", "axis_out_", *learned}
    unexpected = sorted(set(state) - allowed)
    missing = sorted(set(learned) - set(state))
    if unexpected or missing:
        raise ValueError(
            f"Malformed config: {where} holds the fitted attributes "
            f"{sorted(state)}; it must hold n_features_in_ and "
            f"{sorted(learned) or 'nothing else'} (optionally feature_names_in_, "
            "axis_ and axis_out_)."
        )
    width = state.get("n_features_in_")
    if not (isinstance(width, int) and not isinstance(width, bool)) or not (
        1 <= width <= MAX_FEATURES
    ):
        raise ValueError(
            f"Malformed config: `n_features_in_` of {where} must be an int in "
            f"[1, {MAX_FEATURES}]; got {width!r}."
        )
    for key in ("axis_", "axis_out_"):
        if key in state and not isinstance(state[key], SpectralAxis):
            raise ValueError(
                f"Malformed config: `{key}` of {where} must be a spectral axis "
                f"(an __axis__ object); got {type(state[key]).__name__}."
            )
    if isinstance(state.get("axis_"), SpectralAxis) and len(state["axis_"]) != width:
        raise ValueError(
            f"`axis_` of {where} has {len(state['axis_'])} points; "
            f"`n_features_in_` says {width}: the saved parts do not fit together."
        )
    names = state.get("feature_names_in_")
    if names is not None and (
        not isinstance(names, np.ndarray) or names.shape != (width,)
    ):
        raise ValueError(
            f"`feature_names_in_` of {where} must be {width} column names."
        )
    return width


def check_learned_array(
    class_path: str, key: str, value: Any, expected: np.ndarray, folder: Path
) -> None:
    """Check a saved array of a chemotools step against its refitted shape."""
    fits = (
        isinstance(value, np.ndarray)
        and value.dtype.kind in "biuf"
        and value.shape == np.shape(expected)
    )
    if not fits:
        found = getattr(value, "shape", type(value).__name__)
        raise ValueError(
            f"`{key}` of {class_path} in {folder / 'arrays.npz'} must be a numeric "
            f"array of shape {np.shape(expected)} (its n_features_in_ says so); "
            f"got {found}: the saved parts do not fit together."
        )
