"""Save and load fitted estimators as a folder, without pickle.

A saved folder holds

- ``config.json``: the format version, library versions, a summary of the
  data (input shape, points per spectrum, classes, preprocessing steps), the
  sha256 and size of ``arrays.npz`` and of each network file (``files``,
  from format version 2) and the estimator as a tree of nodes: each holds a
  class path, the ``__init__`` parameters and the fitted attributes. Nested
  estimators (Pipeline steps, the classifier and detector of an
  ``OpenSetClassifier``, a detector's ``model``) are nodes of their own;
- ``arrays.npz``: every array attribute (read with ``allow_pickle=False``),
  detector state included;
- ``network.keras``: the Keras network of the CNN estimator (further networks,
  rare, go to ``network_1.keras``, ...). It loads in safe mode with
  ``keras.saving.load_model`` once specauth's custom layers are registered
  (``import specauth.models.layers``); a network without them (1D networks
  built with ``position_channel=False``) loads with Keras alone;
- ``README.md``: the model card (see :func:`~specauth.hub.model_card.make_model_card`).

Only specauth estimators, scikit-learn's ``Pipeline``, a short list of
scikit-learn preprocessing classes whose fitted state is plain numbers and
arrays (:data:`SKLEARN_CLASSES`) and a list of chemotools transformers
(:data:`CHEMOTOOLS_CLASSES`) are accepted, when saving and when loading, so a
tampered config cannot make the loader import or run arbitrary code. A
chemotools step is saved as its parameters, its number of columns and the
arrays it learned from the data (listed per class); loading rebuilds the
rest by fitting it on one probe spectrum of that width, then sets the saved
arrays, each checked against the shape the probe fit gave. Spectral axes
(:class:`~specauth.axis.SpectralAxis` values of parameters or fitted
attributes, such as ``axis_``) are written as JSON (``"__axis__"``).

Loading checks each file before it trusts it: sizes before allocating, the
sha256 manifest, and the restored parts against each other (see
:mod:`specauth.hub._folder_checks` for the rules and their caps). Saving
never deletes a file it did not write (see :mod:`specauth.hub._folder_write`).
Format version 1 folders (written before the manifest) still load, with every
check but the sha256 one.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from specauth._state import get_fitted_state
from specauth._validation import check_bool
from specauth.axis import SpectralAxis
from specauth.hub import _folder_checks as checks
from specauth.hub._folder_write import place_parts, previous_parts, scratch_folder

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sklearn.base import BaseEstimator

__all__ = [
    "save_pretrained",
    "load_pretrained",
    "FORMAT_VERSION",
    "SKLEARN_CLASSES",
    "CHEMOTOOLS_CLASSES",
]

FORMAT_VERSION = 2
_PIPELINE = "sklearn.pipeline.Pipeline"
SKLEARN_CLASSES = (
    "sklearn.preprocessing.StandardScaler",
    "sklearn.preprocessing.MinMaxScaler",
    "sklearn.preprocessing.MaxAbsScaler",
    "sklearn.preprocessing.RobustScaler",
    "sklearn.preprocessing.Normalizer",
    "sklearn.preprocessing.LabelEncoder",
    "sklearn.decomposition.PCA",
    "sklearn.linear_model.LogisticRegression",
)
"""scikit-learn classes that can be saved (besides ``Pipeline``): their fitted
state is numbers and arrays, rebuilt without pickle."""
AXIS_ATTRIBUTES = ("axis_", "axis_out_")
"""Spectral-axis attributes kept on a chemotools step when they are set."""
_DATA_FREE = ()
CHEMOTOOLS_CLASSES: dict[str, tuple[str, ...]] = {
    "chemotools.scatter.StandardNormalVariate": _DATA_FREE,
    "chemotools.scatter.RobustNormalVariate": _DATA_FREE,
    "chemotools.scatter.MultiplicativeScatterCorrection": (
        "reference_",
        "weights_",
        "A_",
        "pinv_A_",
    ),
    "chemotools.scatter.ExtendedMultiplicativeScatterCorrection": (
        "reference_",
        "weights_",
        "A_",
        "WA_",
    ),
    "chemotools.derivative.SavitzkyGolay": _DATA_FREE,
    "chemotools.derivative.NorrisWilliams": _DATA_FREE,
    "chemotools.smooth.SavitzkyGolayFilter": _DATA_FREE,
    "chemotools.smooth.WhittakerSmooth": _DATA_FREE,
    "chemotools.smooth.MeanFilter": _DATA_FREE,
    "chemotools.smooth.MedianFilter": _DATA_FREE,
    "chemotools.baseline.AirPls": ("w_init_",),
    "chemotools.baseline.ArPls": ("w_init_",),
    "chemotools.baseline.AsLs": ("w_init_",),
    "chemotools.baseline.LinearCorrection": _DATA_FREE,
    "chemotools.baseline.PolynomialCorrection": _DATA_FREE,
    "chemotools.baseline.CubicSplineCorrection": _DATA_FREE,
    "chemotools.baseline.RubberbandCorrection": _DATA_FREE,
    "chemotools.baseline.ConstantBaselineCorrection": _DATA_FREE,
    "chemotools.baseline.NonNegative": _DATA_FREE,
    "chemotools.feature_selection.RangeCut": _DATA_FREE,
    "chemotools.scale.NormScaler": _DATA_FREE,
    "chemotools.scale.MinMaxScaler": _DATA_FREE,
    "chemotools.scale.PointScaler": _DATA_FREE,
}
"""chemotools transformers that can be saved (chemotools 0.5), each with the
fitted arrays it learns from the data; everything else they hold depends on
their parameters and number of columns only, and is rebuilt by fitting them
on one probe spectrum when loading (see :func:`probe_spectrum`)."""
_NETWORK_FILE = "network.keras"
_NETWORK_NAME = re.compile(r"network(_[0-9]+)?\.keras")
# Keys that mark a JSON object as an encoded value rather than a plain dict.
_MARKERS = (
    "__array__",
    "__tuple__",
    "__estimator__",
    "__object__",
    "__network__",
    "__axis__",
)


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
    if (
        path.startswith("specauth.")
        or path in SKLEARN_CLASSES
        or path in CHEMOTOOLS_CLASSES
    ):
        return path
    raise TypeError(
        f"Cannot save {path}: only specauth estimators, Pipelines of them, "
        f"these scikit-learn classes: {', '.join(SKLEARN_CLASSES)} and these "
        f"chemotools classes: {', '.join(CHEMOTOOLS_CLASSES)} can be saved. "
        "Others (FunctionTransformer, for one, holds Python code) would need "
        "pickle, which specauth never uses for sharing."
    )


def probe_spectrum(n_features: int) -> np.ndarray:
    """The one spectrum a chemotools step is fitted on when it is loaded.

    A straight line from 1 to 2, not constant, so that scatter corrections
    (whose reference must not be flat) can be fitted on it.
    """
    return np.linspace(1.0, 2.0, n_features)[np.newaxis, :]


def _chemotools_state(estimator, path):
    """The fitted state of a chemotools step: its width and learned arrays."""
    state = {"n_features_in_": int(estimator.n_features_in_)}
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        state["feature_names_in_"] = names
    for key in CHEMOTOOLS_CLASSES[path]:
        state[key] = getattr(estimator, key)
    for key in AXIS_ATTRIBUTES:  # set by specauth code that knows the axis
        if isinstance(getattr(estimator, key, None), SpectralAxis):
            state[key] = getattr(estimator, key)
    return state


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
    from specauth.training.normalization import refresh_normalization

    refresh_normalization(copy)  # set_weights alone leaves them at 0 / 1
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
        if isinstance(value, SpectralAxis):
            return {"__axis__": value.to_dict()}
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
        fitted = (
            _chemotools_state(estimator, path)
            if path in CHEMOTOOLS_CLASSES
            else get_fitted_state(estimator)
        )
        for key, value in fitted.items():
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
    overwrite: bool = False,
) -> Path:
    """Save a fitted specauth estimator or Pipeline to ``directory``.

    Writes ``config.json``, ``arrays.npz``, ``network.keras`` (for CNN
    estimators) and a model card ``README.md``; nothing is pickled. The files
    are written into a temporary folder beside ``directory`` and then moved
    into it, so a save that fails leaves the folder as it was.

    Parameters
    ----------
    estimator : estimator or sklearn.pipeline.Pipeline
        A fitted specauth estimator (:class:`~specauth.estimators.CNNClassifier`,
        a transformer, a detector, an ``OpenSetClassifier``) or a ``Pipeline``
        of them, of the scikit-learn classes in :data:`SKLEARN_CLASSES` and of
        the chemotools classes in :data:`CHEMOTOOLS_CLASSES`.
    directory : str or path-like
        Folder to write: a new or empty folder, or one holding a specauth
        model (its parts are replaced; a ``network_<n>.keras`` that the old
        model's config names and the new model lacks is removed; other files
        are kept). Any other non-empty folder needs ``overwrite=True``.
    metrics : dict of str to float, default=None
        Evaluation results for the model card and the config, e.g.
        ``{"accuracy": 0.98, "auroc": 0.99}`` (closed-set accuracy, OOD AUROC).
    dataset : str, default=None
        Name of the training data set, for the model card.
    overwrite : bool, default=False
        Write into a non-empty folder that holds no specauth model. Only the
        files listed above are replaced; nothing else is deleted.

    Returns
    -------
    path : pathlib.Path
        The folder written.

    Raises
    ------
    TypeError
        If the estimator, one of its steps or parameters cannot be saved
        without pickle (the message names it), or ``overwrite`` is not a bool.
    ValueError
        If ``directory`` is a file, or a non-empty folder holding no specauth
        model and ``overwrite`` is False.

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

    A folder holding other files is written only with ``overwrite=True``, and
    keeps them:

    >>> import pathlib
    >>> mine = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (mine / "notes.txt").write_text("my notes")
    >>> save_pretrained(norm, mine)
    Traceback (most recent call last):
    ...
    ValueError: `directory` ... is not empty and holds no specauth model ...
    >>> sorted(p.name for p in save_pretrained(norm, mine, overwrite=True).iterdir())
    ['README.md', 'arrays.npz', 'config.json', 'notes.txt']
    """
    from specauth.hub.model_card import _check_metrics, _describe, make_model_card

    metrics = _check_metrics(metrics)
    check_bool("overwrite", overwrite)
    versions = _versions()
    # Validates the arguments and fitted state before anything is written.
    card = make_model_card(
        estimator, metrics=metrics, dataset=dataset, versions=versions
    )
    path = Path(directory)
    previous = previous_parts(path, overwrite=overwrite)
    config = {
        "format_version": FORMAT_VERSION,
        "versions": versions,
        "data": _describe(estimator),
        "metrics": metrics,
        "dataset": dataset,
    }
    with scratch_folder(path) as scratch:
        written = _write_parts(estimator, scratch, config, card)
        place_parts(scratch, path, written, previous)
    return path


def _write_parts(estimator, folder, config, card):
    """Write the model's files into ``folder``; return their names."""
    writer = _Writer(folder)
    root = writer.node(estimator)
    np.savez(folder / "arrays.npz", **writer.arrays)
    parts = ["arrays.npz", *(name for name, _ in writer.networks.values())]
    config = {
        **config,
        "files": {name: checks.file_entry(folder / name) for name in parts},
        "root": root,
    }
    (folder / "README.md").write_text(card, encoding="utf-8")
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    return [*parts, "README.md", "config.json"]


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


def load_pretrained(directory: str | os.PathLike[str]) -> BaseEstimator:
    """Load an estimator or Pipeline written by :func:`save_pretrained`.

    Never unpickles: arrays load with ``allow_pickle=False``, the network with
    Keras' safe mode, and only specauth classes, ``Pipeline`` and the classes
    of :data:`SKLEARN_CLASSES` and :data:`CHEMOTOOLS_CLASSES` may be named in
    the config. Each file is
    checked before it is trusted: its size before memory is allocated
    (``.npy`` headers against the bytes they hold, at most 4 GiB an array;
    the layer sizes a network's config implies against its weights file), its
    sha256 against the manifest in ``config.json``, and the restored parts
    against each other (``classes_`` sorted, unique and as many as the
    network's outputs; finite thresholds and fitted numbers; per-feature
    arrays as wide as ``n_features_in_``).

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
        If a file is damaged, truncated, larger than it declares or than the
        caps, changed since saving (sha256), or its parts do not fit together;
        if the config is malformed, from a newer format, names a class outside
        the allowed ones, or the network does not load in safe mode. The
        message names the file.
    ImportError
        If the model uses chemotools steps and chemotools is not installed
        (the message says ``pip install chemotools``).

    Examples
    --------
    >>> import tempfile
    >>> from specauth.preprocessing import LogTransform
    >>> folder = save_pretrained(LogTransform().fit([[1.0, 10.0]]), tempfile.mkdtemp())
    >>> load_pretrained(folder)
    LogTransform()
    """
    from specauth.hub._reader import FolderReader, read_config

    path = Path(os.fspath(directory))
    config = read_config(path)
    if "root" not in config:
        raise ValueError(f"{path / 'config.json'} has no 'root' estimator.")
    arrays_file = path / "arrays.npz"
    if not arrays_file.is_file():
        raise FileNotFoundError(f"{str(path)!r} has no arrays.npz.")
    manifest = checks.check_manifest(path, config)
    arrays = checks.load_arrays(arrays_file)
    return FolderReader(path, arrays, manifest).node(config["root"])
