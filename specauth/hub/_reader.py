"""Rebuild estimators from a saved folder: the reading half of
:mod:`specauth.hub.pretrained`.

Only allowed classes are imported (:func:`_resolve`), every file is checked by
:mod:`specauth.hub._folder_checks` before it is trusted, and networks load in
Keras' safe mode.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_optional
from specauth._state import set_fitted_state
from specauth.axis import SpectralAxis
from specauth.hub import _folder_checks as checks
from specauth.hub.pretrained import (
    _NETWORK_FILE,
    _NETWORK_NAME,
    _PIPELINE,
    AXIS_ATTRIBUTES,
    CHEMOTOOLS_CLASSES,
    FORMAT_VERSION,
    SKLEARN_CLASSES,
    probe_spectrum,
)

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["FolderReader", "read_config"]


def _resolve(class_path, kind="estimator"):
    """Import an allowed class named in a config; refuse everything else."""
    from sklearn.base import BaseEstimator

    if not isinstance(class_path, str):
        raise ValueError(
            f"Malformed config: a class path must be a str; got {class_path!r}."
        )
    sklearn_ok = class_path in SKLEARN_CLASSES or class_path == _PIPELINE
    chemotools_ok = class_path in CHEMOTOOLS_CLASSES
    parts = class_path.split(".")
    if not (sklearn_ok or chemotools_ok or parts[0] == "specauth") or any(
        p.startswith("__") or not p.isidentifier() for p in parts
    ):
        raise ValueError(
            f"Refusing to load class {class_path!r}: only specauth classes, "
            f"{_PIPELINE}, {', '.join(SKLEARN_CLASSES)} and the chemotools "
            f"classes {', '.join(CHEMOTOOLS_CLASSES)} may appear in a saved "
            "config."
        )
    module_name, _, attr = class_path.rpartition(".")
    if chemotools_ok:  # an optional dependency: say how to install it
        import_optional(module_name, package="chemotools", purpose=f"load {class_path}")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"Unknown class {class_path!r} in the saved config.") from err
    home = "chemotools." if chemotools_ok else "specauth."
    own_class = isinstance(cls, type) and cls.__module__.startswith(home)
    if not (sklearn_ok or own_class):
        raise ValueError(
            f"Refusing to load {class_path!r}: it is not a class defined by "
            f"{home[:-1]}."
        )
    is_estimator = issubclass(cls, BaseEstimator)
    if kind == "estimator" and not is_estimator:
        raise ValueError(
            f"Refusing to load {class_path!r} as an estimator: it is not one."
        )
    if kind == "object" and (is_estimator or not hasattr(cls, "get_config")):
        raise ValueError(
            f"Refusing to load {class_path!r} as an object: only specauth objects "
            "with a get_config method (such as CNNFactory) may be rebuilt."
        )
    return cls


def read_config(path: Path) -> dict[str, Any]:
    """The checked ``config.json`` of the folder ``path``: a JSON object with a
    format version this specauth reads."""
    if not path.is_dir():
        raise FileNotFoundError(f"No saved model folder at {str(path)!r}.")
    config_file = path / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(
            f"{str(path)!r} is not a saved specauth model: config.json is missing."
        )
    config = checks.read_json_file(config_file)
    if not isinstance(config, dict):
        raise ValueError(f"{config_file} must hold a JSON object.")
    found = config.get("format_version")
    if not isinstance(found, int) or isinstance(found, bool) or found < 1:
        raise ValueError(
            f"{config_file} has no valid format version (got {found!r}); it was "
            "not written by specauth.hub.save_pretrained."
        )
    if found > FORMAT_VERSION:
        raise ValueError(
            f"{config_file} has format version {found!r}; this specauth reads "
            f"versions up to {FORMAT_VERSION}. Upgrade specauth to load it."
        )
    return config


def _build(cls, kwargs, class_path):
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise ValueError(
            f"Malformed config: {class_path} does not accept the saved "
            f"parameters {sorted(kwargs)}: {err}"
        ) from err


class FolderReader:
    """Rebuild estimators from the JSON nodes that ``save_pretrained`` wrote.

    ``arrays`` maps the keys of ``arrays.npz`` to checked arrays; ``manifest``
    is the checked ``files`` listing (None for format version 1 folders).
    """

    def __init__(self, path, arrays, manifest):
        self.path = path
        self.arrays = arrays
        self.manifest = manifest
        self.networks = {}

    def array(self, spec: dict[str, Any]) -> Any:
        """The array a ``{"__array__": key}`` node names."""
        key = spec["__array__"]
        if not isinstance(key, str) or key not in self.arrays:
            raise ValueError(f"arrays.npz has no array {key!r} named in config.")
        array = self.arrays[key]
        return array.astype(object) if spec.get("dtype") == "object" else array

    def value(self, value: Any) -> Any:
        """Decode one JSON value (markers for arrays, tuples, estimators, ...)."""
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "__dict__" in value and isinstance(value["__dict__"], dict):
            return {k: self.value(v) for k, v in value["__dict__"].items()}
        if "__array__" in value:
            return self.array(value)
        if "__tuple__" in value:
            return tuple(self.value(v) for v in value["__tuple__"])
        if "__estimator__" in value:
            return self.node(value["__estimator__"])
        if "__object__" in value:
            spec = value["__object__"]
            if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
                raise ValueError("Malformed config: an __object__ needs a 'config'.")
            cls = _resolve(spec.get("class"), kind="object")
            config = {k: self.value(v) for k, v in spec["config"].items()}
            return _build(cls, config, spec["class"])
        if "__network__" in value:
            return self.network(value["__network__"])
        if "__axis__" in value:
            return _axis(value["__axis__"])
        return {k: self.value(v) for k, v in value.items()}

    def network(self, name: object) -> Any:
        """The Keras network saved as ``name``, loaded once and checked."""
        if not isinstance(name, str) or not _NETWORK_NAME.fullmatch(name):
            raise ValueError(
                f"Malformed config: network file {name!r} must be named like "
                f"{_NETWORK_FILE!r} or 'network_1.keras' (no folders)."
            )
        if self.manifest is not None and name not in self.manifest:
            raise ValueError(
                f"{self.path / name} is not listed in the 'files' manifest of "
                f"{self.path / 'config.json'}."
            )
        if name not in self.networks:
            self.networks[name] = _load_network(self.path / name)
        return self.networks[name]

    def node(self, node: object) -> Any:
        """Rebuild the estimator (or Pipeline) of one node."""
        if not isinstance(node, dict) or "class" not in node:
            raise ValueError("Malformed config: every estimator needs a 'class'.")
        cls = _resolve(node["class"])
        if node["class"] == _PIPELINE:
            steps = node.get("steps")
            if not isinstance(steps, list) or not all(
                isinstance(s, list) and len(s) == 2 and isinstance(s[0], str)
                for s in steps
            ):
                raise ValueError("Malformed config: Pipeline 'steps' must be pairs.")
            if not steps:
                raise ValueError("Malformed config: Pipeline 'steps' is empty.")
            return cls([(name, self.node(step)) for name, step in steps])
        if not all(isinstance(node.get(k), dict) for k in ("params", "state")):
            raise ValueError(
                f"Malformed config: {node['class']} needs 'params' and 'state' objects."
            )
        for key in node["params"]:
            if not (key.isidentifier() and key[0].isalpha() and key[-1] != "_"):
                raise ValueError(
                    f"Malformed config: {key!r} is not a parameter name of "
                    f"{node['class']}."
                )
        params = {k: self.value(v) for k, v in node["params"].items()}
        estimator = _build(cls, params, node["class"])
        state = {k: self.value(v) for k, v in node["state"].items()}
        for key in state:
            if not (key.endswith("_") and key[0].isalpha() and key.isidentifier()):
                raise ValueError(
                    f"Malformed config: {key!r} is not a fitted attribute name "
                    "(a public name ending in '_')."
                )
        checks.check_state(estimator, state, self.path)
        if node["class"] in CHEMOTOOLS_CLASSES:
            return _refit(estimator, state, node["class"], self.path)
        try:
            return set_fitted_state(estimator, state)
        except ValueError as err:
            raise ValueError(f"Malformed config: {err}") from err


def _axis(spec: object) -> SpectralAxis:
    """The spectral axis of an ``{"__axis__": {...}}`` value."""
    if not isinstance(spec, dict):
        raise ValueError(
            f"Malformed config: an __axis__ must be an object; got {spec!r:.80}."
        )
    try:
        return SpectralAxis.from_dict(spec)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"Malformed config: a saved spectral axis is invalid: {err}"
        ) from err


def _refit(estimator: Any, state: dict[str, Any], class_path: str, folder: Path) -> Any:
    """Rebuild a chemotools step: fit it on a probe spectrum, set the saved arrays."""
    learned = CHEMOTOOLS_CLASSES[class_path]
    n_features = checks.check_refit_state(class_path, state, learned, folder)
    try:
        estimator.fit(probe_spectrum(n_features))
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"Malformed config: {class_path} with the saved parameters cannot be "
            f"rebuilt on {n_features} points ({folder / 'config.json'}): {err}"
        ) from err
    for key in learned:
        expected = getattr(estimator, key)
        checks.check_learned_array(class_path, key, state[key], expected, folder)
        setattr(estimator, key, state[key].astype(expected.dtype))
    for key in ("feature_names_in_", *AXIS_ATTRIBUTES):
        if key in state:
            setattr(estimator, key, state[key])
    return estimator


def _load_network(network_file):
    import zipfile

    from specauth._lazy import import_keras

    keras = import_keras()
    import specauth.models.layers  # noqa: F401  (registers custom layers)

    if not network_file.is_file():
        raise FileNotFoundError(
            f"{str(network_file.parent)!r} has no {network_file.name} named in "
            "config.json."
        )
    checks.check_network_file(network_file)
    try:
        return keras.saving.load_model(network_file, compile=False, safe_mode=True)
    except (ValueError, TypeError, OSError, KeyError, zipfile.BadZipFile) as err:
        raise ValueError(
            f"Cannot load {network_file} in Keras safe mode: {err} -- specauth "
            "never loads a network with safe_mode=False, so a file holding a "
            "Lambda layer, Python code or unknown custom layers is refused."
        ) from err
