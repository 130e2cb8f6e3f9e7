"""Save and load fitted estimators as a folder, without pickle.

A saved folder holds

- ``config.json``: the format version, library versions and the estimator as
  a tree of nodes: each holds a class path, the ``__init__`` parameters and
  the fitted attributes. Nested estimators (Pipeline steps, the classifier
  and detector of an ``OpenSetClassifier``) are nodes of their own;
- ``arrays.npz``: every array attribute (read with ``allow_pickle=False``);
- ``network.keras``: the Keras network of the (single) CNN estimator. It loads
  in safe mode with ``keras.saving.load_model`` once specauth's custom layers
  are registered (``import specauth.models.layers``).

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


_SKIPPED_STATE = ("encoder_", "lr_finder_")


class _Writer:
    """Encode estimators as JSON nodes; arrays and the network go aside."""

    def __init__(self, path):
        self.path = path
        self.arrays = {}
        self.network_saved = False

    def value(self, value, where):
        from sklearn.base import BaseEstimator

        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, (np.integer, np.floating, np.bool_)):
            return value.item()
        if isinstance(value, os.PathLike):
            return os.fspath(value)
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                value = np.asarray(value.tolist())
            key = f"a{len(self.arrays)}"
            self.arrays[key] = value
            return {"__array__": key}
        if isinstance(value, tuple):
            return {"__tuple__": [self.value(v, where) for v in value]}
        if isinstance(value, list):
            return [self.value(v, where) for v in value]
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {k: self.value(v, where) for k, v in value.items()}
        if isinstance(value, BaseEstimator):
            return {"__estimator__": self.node(value)}
        if _class_path(value).startswith("specauth.") and hasattr(value, "get_config"):
            # Plain specauth objects such as CNNFactory: rebuilt from their config.
            config = {k: self.value(v, where) for k, v in value.get_config().items()}
            return {"__object__": {"class": _class_path(value), "config": config}}
        raise TypeError(
            f"Cannot save {where}: {value!r} of type {type(value).__name__} has no "
            "JSON form. Use built-in values (names, numbers, lists) for parameters "
            "of an estimator you want to save."
        )

    def network(self, network):
        if self.network_saved:
            raise ValueError("A saved folder can hold only one network.")
        network.save(self.path / _NETWORK_FILE)
        self.network_saved = True
        return {"__network__": _NETWORK_FILE}

    def node(self, estimator):
        from sklearn.pipeline import Pipeline

        if isinstance(estimator, Pipeline):
            steps = [[name, self.node(step)] for name, step in estimator.steps]
            return {"class": "sklearn.pipeline.Pipeline", "steps": steps}
        path = _class_path(estimator)
        if not path.startswith("specauth."):
            raise TypeError(
                "Only specauth estimators (and Pipelines of them) can be saved; "
                f"got {path}."
            )
        params = {
            k: self.value(v, f"parameter `{k}` of {path}")
            for k, v in estimator.get_params(deep=False).items()
        }
        state = {}
        for key, value in vars(estimator).items():
            if not key.endswith("_") or key.startswith("_") or key in _SKIPPED_STATE:
                continue
            if key == "network_":
                state[key] = self.network(value)
            else:
                state[key] = self.value(value, f"attribute `{key}` of {path}")
        return {"class": path, "params": params, "state": state}


def save_pretrained(estimator, directory):
    """Save a fitted specauth estimator or Pipeline to ``directory``.

    Parameters
    ----------
    estimator : estimator or sklearn.pipeline.Pipeline
        A fitted specauth estimator (:class:`~specauth.estimators.CNNClassifier`,
        a transformer, a detector, an ``OpenSetClassifier``) or a ``Pipeline``
        of them.
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
    from sklearn.utils.validation import check_is_fitted

    path = Path(directory)
    check_is_fitted(estimator)
    path.mkdir(parents=True, exist_ok=True)
    writer = _Writer(path)
    root = writer.node(estimator)
    config = {"format_version": FORMAT_VERSION, "root": root, "versions": _versions()}
    np.savez(path / "arrays.npz", **writer.arrays)
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


class _Reader:
    """Rebuild estimators from the JSON nodes written by :class:`_Writer`."""

    def __init__(self, path, arrays):
        self.path = path
        self.arrays = arrays

    def value(self, value):
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "__array__" in value:
            key = value["__array__"]
            if key not in self.arrays.files:
                raise ValueError(f"arrays.npz has no array {key!r} named in config.")
            return self.arrays[key]
        if "__tuple__" in value:
            return tuple(self.value(v) for v in value["__tuple__"])
        if "__estimator__" in value:
            return self.node(value["__estimator__"])
        if "__object__" in value:
            spec = value["__object__"]
            cls = _resolve(spec["class"])
            return cls(**{k: self.value(v) for k, v in spec["config"].items()})
        if "__network__" in value:
            return _load_network(self.path)
        return {k: self.value(v) for k, v in value.items()}

    def node(self, node):
        if not isinstance(node, dict) or "class" not in node:
            raise ValueError("Malformed config: every estimator needs a 'class'.")
        cls = _resolve(node["class"])
        if node["class"] == "sklearn.pipeline.Pipeline":
            return cls([(name, self.node(step)) for name, step in node["steps"]])
        if not {"params", "state"} <= set(node):
            raise ValueError(
                f"Malformed config: {node['class']} needs 'params' and 'state'."
            )
        estimator = cls(**{k: self.value(v) for k, v in node["params"].items()})
        state = {k: self.value(v) for k, v in node["state"].items()}
        network = state.pop("network_", None)
        for key, value in state.items():
            setattr(estimator, key, value)
        if network is not None:
            _attach_network(estimator, network)
        return estimator


def _attach_network(estimator, network):
    from sklearn.preprocessing import LabelEncoder

    from specauth.estimators._base import BaseCNNEstimator

    if not isinstance(estimator, BaseCNNEstimator):
        raise ValueError(
            f"Malformed config: {type(estimator).__name__} cannot hold a network."
        )
    if hasattr(estimator, "classes_"):
        estimator.encoder_ = LabelEncoder()
        estimator.encoder_.classes_ = estimator.classes_
    estimator._set_network(network)


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
    if "root" not in config:
        raise ValueError(f"{path / 'config.json'} has no 'root' estimator.")
    arrays_file = path / "arrays.npz"
    if not arrays_file.is_file():
        raise FileNotFoundError(f"{str(path)!r} has no arrays.npz.")
    with np.load(arrays_file, allow_pickle=False) as arrays:
        return _Reader(path, arrays).node(config["root"])
