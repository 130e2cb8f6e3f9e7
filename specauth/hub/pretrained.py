"""Save and load fitted estimators as a folder, without pickle.

A saved folder holds

- ``config.json``: the format version, library versions, a summary of the
  data (input shape, points per spectrum, classes, preprocessing steps) and
  the estimator as a tree of nodes: each holds a class path, the ``__init__``
  parameters and the fitted attributes. Nested estimators (Pipeline steps, the
  classifier and detector of an ``OpenSetClassifier``, a detector's ``model``)
  are nodes of their own;
- ``arrays.npz``: every array attribute (read with ``allow_pickle=False``),
  detector state included;
- ``network.keras``: the Keras network of the CNN estimator (further networks,
  rare, go to ``network_1.keras``, ...). It loads in safe mode with
  ``keras.saving.load_model`` once specauth's custom layers are registered
  (``import specauth.models.layers``); a network without them (1D networks
  built with ``position_channel=False``) loads with Keras alone;
- ``README.md``: the model card (see :func:`~specauth.hub.model_card.make_model_card`).

Only specauth estimators, scikit-learn's ``Pipeline`` and a short list of
scikit-learn preprocessing classes whose fitted state is plain numbers and
arrays (:data:`SKLEARN_CLASSES`) are accepted, when saving and when loading,
so a tampered config cannot make the loader import or run arbitrary code.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from specauth._state import get_fitted_state, set_fitted_state

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sklearn.base import BaseEstimator

__all__ = ["save_pretrained", "load_pretrained", "FORMAT_VERSION", "SKLEARN_CLASSES"]

FORMAT_VERSION = 1
_PIPELINE = "sklearn.pipeline.Pipeline"
SKLEARN_CLASSES = (
    "sklearn.preprocessing.StandardScaler",
    "sklearn.preprocessing.MinMaxScaler",
    "sklearn.preprocessing.MaxAbsScaler",
    "sklearn.preprocessing.RobustScaler",
    "sklearn.preprocessing.Normalizer",
    "sklearn.preprocessing.LabelEncoder",
    "sklearn.decomposition.PCA",
)
"""scikit-learn classes that can be saved (besides ``Pipeline``): their fitted
state is numbers and arrays, rebuilt without pickle."""
_NETWORK_FILE = "network.keras"
_NETWORK_NAME = re.compile(r"network(_[0-9]+)?\.keras")
# Keys that mark a JSON object as an encoded value rather than a plain dict.
_MARKERS = ("__array__", "__tuple__", "__estimator__", "__object__", "__network__")


def _public_path(cls):
    """``package.subpackage.Name`` when that re-export is ``cls``, else the file."""
    module = cls.__module__
    short = ".".join(module.split(".")[:2])
    if short != module:
        try:
            if getattr(importlib.import_module(short), cls.__qualname__, None) is cls:
                return f"{short}.{cls.__qualname__}"
        except ImportError:
            pass
    return f"{module}.{cls.__qualname__}"


def _class_path(obj):
    return _public_path(type(obj))


def _saveable_path(estimator):
    """Class path of an estimator that may be saved, else a clear TypeError."""
    path = _class_path(estimator)
    if path.startswith("specauth.") or path in SKLEARN_CLASSES:
        return path
    raise TypeError(
        f"Cannot save {path}: only specauth estimators, Pipelines of them and "
        f"these scikit-learn classes can be saved: {', '.join(SKLEARN_CLASSES)}. "
        "Others (FunctionTransformer, for one, holds Python code) would need "
        "pickle, which specauth never uses for sharing."
    )


def _uncompiled(network):
    """A copy of a compiled functional network without its optimizer.

    The optimizer (and its learning-rate schedule, a specauth class) is not
    needed for prediction; leaving it out keeps the file small and loadable
    by Keras alone when the layers are built-in ones. The copy has the same
    layers, names and weights; the user's network is not modified.
    """
    if not getattr(network, "compiled", False):
        return network
    try:
        copy = type(network).from_config(network.get_config())
    except (NotImplementedError, TypeError, ValueError):
        return network  # a subclassed model without a config: save it whole
    copy.set_weights(network.get_weights())
    return copy


class _Writer:
    """Encode estimators as JSON nodes; arrays and networks go aside."""

    def __init__(self, path):
        self.path = path
        self.arrays = {}
        self.networks = {}  # id(network) -> (file name, network)

    def array(self, value, where):
        extra = {}
        if value.dtype == object:
            converted = np.asarray(value.tolist())
            if converted.dtype.kind not in "biufU" or not np.array_equal(
                converted.astype(object), value
            ):
                raise TypeError(
                    f"Cannot save {where}: an object array that is not all "
                    "numbers or all strings has no form without pickle."
                )
            value, extra = converted, {"dtype": "object"}
        key = f"a{len(self.arrays)}"
        self.arrays[key] = value
        return {"__array__": key, **extra}

    def value(self, value, where):
        from sklearn.base import BaseEstimator

        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, (np.integer, np.floating, np.bool_, np.str_)):
            return value.item()
        if isinstance(value, os.PathLike):
            return os.fspath(value)
        if isinstance(value, np.ndarray):
            return self.array(value, where)
        if isinstance(value, tuple):
            return {"__tuple__": [self.value(v, where) for v in value]}
        if isinstance(value, list):
            return [self.value(v, where) for v in value]
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            items = {k: self.value(v, where) for k, v in value.items()}
            # A user dict that looks like an encoded value is wrapped.
            return (
                {"__dict__": items} if set(items) & {*_MARKERS, "__dict__"} else items
            )
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
        if id(network) not in self.networks:
            n = len(self.networks)
            name = _NETWORK_FILE if n == 0 else f"network_{n}.keras"
            _uncompiled(network).save(self.path / name)
            self.networks[id(network)] = (name, network)
        return {"__network__": self.networks[id(network)][0]}

    def node(self, estimator):
        from sklearn.pipeline import Pipeline

        if type(estimator) is Pipeline:
            steps = [[name, self.node(step)] for name, step in estimator.steps]
            return {"class": _PIPELINE, "steps": steps}
        path = _saveable_path(estimator)
        params = {
            k: self.value(v, f"parameter `{k}` of {path}")
            for k, v in estimator.get_params(deep=False).items()
        }
        state = {}
        for key, value in get_fitted_state(estimator).items():
            if key == "network_":
                state[key] = self.network(value)
            else:
                state[key] = self.value(value, f"attribute `{key}` of {path}")
        return {"class": path, "params": params, "state": state}


def save_pretrained(
    estimator: BaseEstimator,
    directory: str | os.PathLike[str],
    *,
    metrics: Mapping[str, float] | None = None,
    dataset: str | None = None,
) -> Path:
    """Save a fitted specauth estimator or Pipeline to ``directory``.

    Writes ``config.json``, ``arrays.npz``, ``network.keras`` (for CNN
    estimators) and a model card ``README.md``; nothing is pickled.

    Parameters
    ----------
    estimator : estimator or sklearn.pipeline.Pipeline
        A fitted specauth estimator (:class:`~specauth.estimators.CNNClassifier`,
        a transformer, a detector, an ``OpenSetClassifier``) or a ``Pipeline``
        of them and of the scikit-learn classes in :data:`SKLEARN_CLASSES`.
    directory : str or path-like
        Folder to write (created if needed; existing files are overwritten).
    metrics : dict of str to float, default=None
        Evaluation results for the model card and the config, e.g.
        ``{"accuracy": 0.98, "auroc": 0.99}`` (closed-set accuracy, OOD AUROC).
    dataset : str, default=None
        Name of the training data set, for the model card.

    Returns
    -------
    path : pathlib.Path
        The folder written.

    Raises
    ------
    TypeError
        If the estimator, one of its steps or parameters cannot be saved
        without pickle (the message names it).

    Examples
    --------
    >>> import tempfile
    >>> from specauth.preprocessing import SpectrumNormalizer
    >>> norm = SpectrumNormalizer().fit([[1.0, 3.0]])
    >>> folder = save_pretrained(norm, tempfile.mkdtemp())
    >>> sorted(p.name for p in folder.iterdir())
    ['README.md', 'arrays.npz', 'config.json']
    >>> load_pretrained(folder).transform([[1.0, 3.0]])
    array([[0.25, 0.75]])
    """
    from specauth.hub.model_card import _check_metrics, _describe, make_model_card

    metrics = _check_metrics(metrics)
    versions = _versions()
    # Validates the arguments and fitted state before anything is written.
    card = make_model_card(
        estimator, metrics=metrics, dataset=dataset, versions=versions
    )
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("network_*.keras"):
        if _NETWORK_NAME.fullmatch(stale.name):
            stale.unlink()
    writer = _Writer(path)
    root = writer.node(estimator)
    config = {
        "format_version": FORMAT_VERSION,
        "versions": versions,
        "data": _describe(estimator),
        "metrics": metrics,
        "dataset": dataset,
        "root": root,
    }
    np.savez(path / "arrays.npz", **writer.arrays)
    (path / "config.json").write_text(json.dumps(config, indent=2))
    (path / "README.md").write_text(card, encoding="utf-8")
    return path


def _versions():
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for package in ("specauth", "keras", "tensorflow", "scikit-learn", "numpy"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    out["keras_backend"] = os.environ.get("KERAS_BACKEND", "tensorflow")
    return out


def _resolve(class_path, kind="estimator"):
    """Import an allowed class named in a config; refuse everything else."""
    from sklearn.base import BaseEstimator

    if not isinstance(class_path, str):
        raise ValueError(
            f"Malformed config: a class path must be a str; got {class_path!r}."
        )
    sklearn_ok = class_path in SKLEARN_CLASSES or class_path == _PIPELINE
    parts = class_path.split(".")
    if not (sklearn_ok or parts[0] == "specauth") or any(
        p.startswith("__") or not p.isidentifier() for p in parts
    ):
        raise ValueError(
            f"Refusing to load class {class_path!r}: only specauth classes, "
            f"{_PIPELINE} and {', '.join(SKLEARN_CLASSES)} may appear in a "
            "saved config."
        )
    module_name, _, attr = class_path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"Unknown class {class_path!r} in the saved config.") from err
    specauth_class = isinstance(cls, type) and cls.__module__.startswith("specauth.")
    if not (sklearn_ok or specauth_class):
        raise ValueError(
            f"Refusing to load {class_path!r}: it is not a class defined by specauth."
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


class _Reader:
    """Rebuild estimators from the JSON nodes written by :class:`_Writer`."""

    def __init__(self, path, arrays):
        self.path = path
        self.arrays = arrays
        self.networks = {}

    def array(self, spec):
        key = spec["__array__"]
        if not isinstance(key, str) or key not in self.arrays.files:
            raise ValueError(f"arrays.npz has no array {key!r} named in config.")
        array = self.arrays[key]
        return array.astype(object) if spec.get("dtype") == "object" else array

    def value(self, value):
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
        return {k: self.value(v) for k, v in value.items()}

    def network(self, name):
        if not isinstance(name, str) or not _NETWORK_NAME.fullmatch(name):
            raise ValueError(
                f"Malformed config: network file {name!r} must be named like "
                f"{_NETWORK_FILE!r} or 'network_1.keras' (no folders)."
            )
        if name not in self.networks:
            self.networks[name] = _load_network(self.path / name)
        return self.networks[name]

    def node(self, node):
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
        try:
            return set_fitted_state(estimator, state)
        except ValueError as err:
            raise ValueError(f"Malformed config: {err}") from err


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
    try:
        return keras.saving.load_model(network_file, compile=False, safe_mode=True)
    except (ValueError, TypeError, OSError, KeyError, zipfile.BadZipFile) as err:
        raise ValueError(
            f"Cannot load {network_file} in Keras safe mode: {err} -- specauth "
            "never loads a network with safe_mode=False, so a file holding a "
            "Lambda layer, Python code or unknown custom layers is refused."
        ) from err


def load_pretrained(directory: str | os.PathLike[str]) -> BaseEstimator:
    """Load an estimator or Pipeline written by :func:`save_pretrained`.

    Never unpickles: arrays load with ``allow_pickle=False``, the network with
    Keras' safe mode, and only specauth classes, ``Pipeline`` and the classes
    of :data:`SKLEARN_CLASSES` may be named in the config.

    Parameters
    ----------
    directory : str or path-like
        Folder written by :func:`save_pretrained`.

    Returns
    -------
    estimator : estimator or sklearn.pipeline.Pipeline
        Ready to ``predict``; its predictions are those of the saved one.

    Raises
    ------
    FileNotFoundError
        If the folder, its config, arrays or network file is missing.
    ValueError
        If the config is malformed, from a newer format, names a class outside
        the allowed ones, or the network does not load in safe mode.

    Examples
    --------
    >>> import tempfile
    >>> from specauth.preprocessing import LogTransform
    >>> folder = save_pretrained(LogTransform().fit([[1.0, 10.0]]), tempfile.mkdtemp())
    >>> load_pretrained(folder)
    LogTransform()
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
