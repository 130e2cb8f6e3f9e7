"""Save and load fitted estimators as a folder, without pickle.

A saved folder holds

- ``config.json``: the format version, library versions, and for each step
  (one for an estimator, several for a ``Pipeline``) its class path,
  parameters and small fitted attributes;
- ``arrays.npz``: fitted array attributes (read with ``allow_pickle=False``);
- ``network.keras``: the Keras network of a CNN estimator (loads in safe mode,
  and with plain ``keras.saving.load_model`` for users without specauth).

Only specauth classes and scikit-learn's ``Pipeline`` are accepted when
loading, so a tampered config cannot make the loader import arbitrary code.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

import numpy as np

__all__ = ["save_pretrained", "load_pretrained", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_ALLOWED_EXTRA = {"sklearn.pipeline.Pipeline"}
_NETWORK_FILE = "network.keras"


def _class_path(obj):
    cls = type(obj)
    module = cls.__module__
    if module.startswith("specauth."):
        # Use the public re-export (specauth.preprocessing.Crop), not the file.
        module = ".".join(module.split(".")[:2])
    return f"{module}.{cls.__qualname__}"


def _jsonable(value, where):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, where) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _jsonable(v, where) for k, v in value.items()}
    raise TypeError(
        f"Cannot save {where}: {value!r} of type {type(value).__name__} has no "
        "JSON form. Use built-in values (names, numbers, lists) for parameters "
        "of an estimator you want to save."
    )


def _split_state(obj, prefix, arrays):
    """Return the JSON part of ``obj``'s fitted state; arrays go to ``arrays``."""
    state = {}
    for key, value in vars(obj).items():
        if not key.endswith("_") or key.startswith("_") or key == "network_":
            continue
        if key in ("encoder_", "lr_finder_"):
            continue  # rebuilt from classes_ / not needed for prediction
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                value = np.asarray(value.tolist())
            arrays[f"{prefix}{key}"] = value
        else:
            state[key] = _jsonable(value, f"attribute `{key}`")
    return state


def save_pretrained(estimator, directory):
    """Save a fitted specauth estimator or Pipeline to ``directory``.

    Parameters
    ----------
    estimator : estimator or sklearn.pipeline.Pipeline
        A fitted :class:`~specauth.estimators.CNNClassifier`, specauth
        transformer, or a ``Pipeline`` of them.
    directory : str or path-like
        Folder to write (created if needed; existing files are overwritten).

    Returns
    -------
    path : pathlib.Path
        The folder written.

    Examples
    --------
    >>> import tempfile
    >>> from specauth.preprocessing import SpectrumNormalizer
    >>> norm = SpectrumNormalizer().fit([[1.0, 3.0]])
    >>> folder = save_pretrained(norm, tempfile.mkdtemp())
    >>> load_pretrained(folder).transform([[1.0, 3.0]])
    array([[0.25, 0.75]])
    """
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    check_is_fitted(estimator)
    if isinstance(estimator, Pipeline):
        steps = [(name, step) for name, step in estimator.steps]
    else:
        steps = [(None, estimator)]
    if sum(_has_network(step) for _, step in steps) > 1:
        raise ValueError("A saved folder can hold only one network.")
    arrays, records = {}, []
    for index, (name, step) in enumerate(steps):
        path_name = _class_path(step)
        if not path_name.startswith("specauth."):
            raise TypeError(
                f"Only specauth estimators can be saved; step {name!r} is {path_name}."
            )
        params = {
            k: _jsonable(v, f"parameter `{k}` of {path_name}")
            for k, v in step.get_params(deep=False).items()
        }
        records.append(
            {
                "name": name,
                "class": path_name,
                "params": params,
                "state": _split_state(step, f"{index}:", arrays),
            }
        )
        if _has_network(step):
            step.network_.save(path / _NETWORK_FILE)
    config = {
        "format_version": FORMAT_VERSION,
        "kind": "pipeline" if isinstance(estimator, Pipeline) else "estimator",
        "steps": records,
        "versions": _versions(),
    }
    np.savez(path / "arrays.npz", **arrays)
    (path / "config.json").write_text(json.dumps(config, indent=2))
    return path


def _versions():
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in ("specauth", "keras", "scikit-learn", "numpy"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


def _resolve(class_path):
    if not (class_path.startswith("specauth.") or class_path in _ALLOWED_EXTRA):
        raise ValueError(
            f"Refusing to load class {class_path!r}: only specauth classes and "
            f"{sorted(_ALLOWED_EXTRA)} may appear in a saved config."
        )
    module_name, _, attr = class_path.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"Unknown class {class_path!r} in the saved config.") from err


def _read_config(path):
    if not path.is_dir():
        raise FileNotFoundError(f"No saved model folder at {str(path)!r}.")
    config_file = path / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(
            f"{str(path)!r} is not a saved specauth model: config.json is missing."
        )
    try:
        config = json.loads(config_file.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{config_file} is not valid JSON: {err}") from err
    found = config.get("format_version")
    if not isinstance(found, int) or found > FORMAT_VERSION:
        raise ValueError(
            f"{config_file} has format version {found!r}; this specauth reads "
            f"versions up to {FORMAT_VERSION}. Upgrade specauth to load it."
        )
    return config


def _restore_step(record, index, arrays, path):
    if not isinstance(record, dict) or not {"class", "params", "state"} <= set(record):
        raise ValueError(
            f"Step {index} of the saved config must have 'class', 'params' and "
            "'state' entries."
        )
    cls = _resolve(record["class"])
    step = cls(**record["params"])
    for key, value in record["state"].items():
        setattr(step, key, tuple(value) if key == "input_shape_" else value)
    prefix = f"{index}:"
    for key in arrays.files:
        if key.startswith(prefix):
            setattr(step, key[len(prefix) :], arrays[key])
    if _has_network(step) and hasattr(step, "classes_"):
        from sklearn.preprocessing import LabelEncoder

        step.encoder_ = LabelEncoder()
        step.encoder_.classes_ = step.classes_
    if _has_network(step):
        step._set_network(_load_network(path))
    return step


def _has_network(step):
    from specauth.estimators._base import BaseCNNEstimator

    return isinstance(step, BaseCNNEstimator)


def _load_network(path):
    from specauth._lazy import import_keras

    keras = import_keras()
    import specauth.models.layers  # noqa: F401  (registers custom layers)

    network_file = path / _NETWORK_FILE
    if not network_file.is_file():
        raise FileNotFoundError(f"{str(path)!r} has no {_NETWORK_FILE}.")
    return keras.saving.load_model(network_file, compile=False, safe_mode=True)


def load_pretrained(directory):
    """Load an estimator or Pipeline written by :func:`save_pretrained`.

    Never unpickles; the network loads with Keras' safe mode.

    Parameters
    ----------
    directory : str or path-like
        Folder written by :func:`save_pretrained`.

    Returns
    -------
    estimator : estimator or sklearn.pipeline.Pipeline
        Ready to ``predict``.

    Raises
    ------
    FileNotFoundError
        If the folder or its config is missing.
    ValueError
        If the config is malformed, from a newer format, or names a class
        outside specauth.
    """
    path = Path(os.fspath(directory))
    config = _read_config(path)
    with np.load(path / "arrays.npz", allow_pickle=False) as arrays:
        steps = [
            _restore_step(record, i, arrays, path)
            for i, record in enumerate(config["steps"])
        ]
    if config["kind"] == "pipeline":
        from sklearn.pipeline import Pipeline

        names = [record["name"] for record in config["steps"]]
        return Pipeline(list(zip(names, steps, strict=True)))
    return steps[0]
