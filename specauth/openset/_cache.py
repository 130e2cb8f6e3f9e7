"""A small in-process cache of fitted classifiers, for fast detector tuning.

``GridSearchCV`` clones :class:`~specauth.openset.OpenSetClassifier` for every
parameter combination and fold. When only detector parameters change (for
example ``detector__alpha``), the network it would train is the same one: same
classifier parameters, same training data. The cache maps a fingerprint of
*(classifier class, classifier parameters, X, y)* to the fitted classifier and
its embedding of ``X``, so such a search trains one network per fold.

What the fingerprint holds, and what is never cached:

- Classes and callables (a network builder, an activation, a class in the
  parameters, in dicts, lists, tuples, ``functools.partial`` objects or the
  parameters of nested estimators) are keyed by **identity and code**: the
  object itself (the cache keeps it alive, so its ``id`` cannot be reused),
  its compiled code, defaults and closure contents. A builder redefined in a
  notebook (same name, new body) is a new object, hence a miss; so is a cell
  run again unchanged (a new function object: the cache errs on the side of
  training). ``clone`` keeps functions as they are, so a grid search still
  hits. Globals a builder reads are not part of the key: after changing one,
  call :func:`clear_classifier_cache` (or fit with ``cache=False``).
- A classifier whose ``random_state`` (or any nested ``random_state``) is
  ``None``, or any parameter holding a numpy ``RandomState`` or
  ``Generator``, is never cached: two such fits are meant to differ.
- Parameters that cannot be fingerprinted, and fitted classifiers that cannot
  be copied, are not cached.

A hit never hands out the stored object: it returns an independent copy (the
Keras network cloned with its weights, the other fitted attributes deep
copied), and a miss stores a copy of what it returns. Refitting, fine-tuning
or changing the classifier of one :class:`OpenSetClassifier` never changes
another's, nor the cache.

The cache is per process (``n_jobs=1`` searches, or each worker of a parallel
search), holds at most :data:`MAX_ENTRIES` entries (least recently used are
dropped) and can be emptied with :func:`clear_classifier_cache`.
"""

from __future__ import annotations

import copy
import functools
import pickle
import sys
import types
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import clone

from specauth._state import get_fitted_state, set_fitted_state

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike

__all__ = ["MAX_ENTRIES", "cached_fit", "clear_classifier_cache"]

#: Fitted classifiers kept. ``GridSearchCV`` fits every split of one
#: candidate before the next, so a search over detectors reuses the networks
#: only if the cache holds one per split: 16 covers ``LeaveClassesOut`` on up
#: to 16 classes (with 4, a 5-split search retrained every candidate: 71 fits
#: instead of 5 measured on PGAA in issue 15).
MAX_ENTRIES = 16
_CACHE: OrderedDict = OrderedDict()
_SCALARS = (type(None), bool, int, float, complex, str, bytes, np.generic)
_COPY_ERRORS = (TypeError, ValueError, AttributeError, pickle.PicklingError)


class _Uncacheable(ValueError):
    """Raised while fingerprinting a parameter that must not be cached."""


def _token(value, refs, active):
    """A hashable description of ``value`` for the fingerprint (see module)."""
    if isinstance(value, _SCALARS) or isinstance(value, np.ndarray):
        return value
    if isinstance(value, (np.random.RandomState, np.random.Generator)):
        raise _Uncacheable("a random generator")
    if id(value) in active:  # a closure that refers to itself
        return ("cycle", id(value))
    active.add(id(value))
    try:
        return _container_token(value, refs, active)
    finally:
        active.discard(id(value))


def _container_token(value, refs, active):
    def token(item):
        return _token(item, refs, active)

    if isinstance(value, dict):
        items = [(token(k), token(v)) for k, v in value.items()]
        return ("dict", tuple(sorted(items, key=repr)))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(token(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted((token(v) for v in value), key=repr)))
    if isinstance(value, functools.partial):
        return ("partial", token(value.func), token(value.args), token(value.keywords))
    if isinstance(value, types.MethodType):
        return ("method", token(value.__self__), token(value.__func__))
    if isinstance(value, types.FunctionType):
        return _function_token(value, refs, token)
    if isinstance(value, type) or callable(value) and not hasattr(value, "__dict__"):
        refs.append(value)  # classes and builtins: identity
        name = getattr(value, "__qualname__", type(value).__qualname__)
        return ("object", getattr(value, "__module__", None), name, id(value))
    if callable(getattr(value, "get_params", None)):
        params = value.get_params(deep=False)
        if any(k.endswith("random_state") and v is None for k, v in params.items()):
            raise _Uncacheable("random_state=None")
        return ("estimator", token(type(value)), token(params))
    if callable(getattr(value, "get_config", None)):
        return ("config", token(type(value)), token(value.get_config()))
    import joblib

    return ("pickled", token(type(value)), joblib.hash(value))


def _function_token(function, refs, token):
    refs.append(function)
    cells = tuple(_cell_token(cell, token) for cell in function.__closure__ or ())
    return (
        "function",
        function.__module__,
        function.__qualname__,
        id(function),
        _code_token(function.__code__),
        token(function.__defaults__),
        token(function.__kwdefaults__),
        cells,
    )


def _code_token(code):
    """Bytecode, constants (nested code included), names and signature."""
    consts = tuple(
        _code_token(c) if isinstance(c, types.CodeType) else (type(c).__name__, c)
        for c in code.co_consts
    )
    return (
        code.co_code,
        consts,
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        code.co_flags,
    )


def _cell_token(cell, token):
    try:
        return token(cell.cell_contents)
    except ValueError:  # a cell not filled yet
        return ("empty cell",)


def _fingerprint(classifier, X, y):
    """Return ``(key, refs)``, or ``(None, [])`` for a classifier not to cache."""
    import joblib

    refs: list[Any] = []
    try:
        token = _token(classifier, refs, set())
        return joblib.hash((token, X, y)), refs
    except (_Uncacheable, ValueError, TypeError, AttributeError, pickle.PicklingError):
        return None, []


def _copy_value(value):
    keras = sys.modules.get("keras")  # no Keras model exists before its import
    if keras is not None and isinstance(value, keras.Model):
        from specauth.training.normalization import refresh_normalization

        network = keras.models.clone_model(value)
        network.set_weights(value.get_weights())
        refresh_normalization(network)  # set_weights alone leaves them at 0 / 1
        return network
    return copy.deepcopy(value)


def _copy_fitted(classifier):
    """An independent copy of a fitted classifier, or None if it has none.

    Estimators with ``get_fitted_state``/``set_fitted_state`` (the specauth
    estimators) are cloned and given a copy of their fitted state (a Keras
    network is cloned with its weights); the other fitted attributes they
    rebuild or leave out of it are deep copied too. Other estimators are deep
    copied.
    """
    own = callable(getattr(classifier, "get_fitted_state", None))
    try:
        if not own or not callable(getattr(classifier, "set_fitted_state", None)):
            return copy.deepcopy(classifier)
        state = {k: _copy_value(v) for k, v in get_fitted_state(classifier).items()}
        result = set_fitted_state(clone(classifier), state)
        for key, value in vars(classifier).items():
            if key.endswith("_") and not key.startswith("_") and key not in state:
                setattr(result, key, copy.deepcopy(value))
        return result
    except _COPY_ERRORS:
        return None


def cached_fit(
    classifier: Any,
    X: ArrayLike,
    y: ArrayLike,
    *,
    featurize: Callable[[Any, ArrayLike], np.ndarray],
    enabled: bool = True,
) -> tuple[Any, np.ndarray, bool]:
    """Return ``(fitted_classifier, features, hit)``, reusing an identical fit.

    Parameters
    ----------
    classifier : estimator
        An unfitted classifier (a clone; it is fitted in place on a miss).
    X, y : array-like
        Training data.
    featurize : callable
        ``featurize(fitted_classifier, X) -> features``, computed once per fit.
    enabled : bool, default=True
        ``False`` always fits (and stores nothing).

    Returns
    -------
    classifier : estimator
        The fitted classifier; on a hit, an independent copy of the cached
        one (never an object another caller holds).
    features : ndarray
        ``featurize(classifier, X)`` (a copy on a hit).
    hit : bool
        Whether the result came from the cache.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = np.arange(6.0).reshape(3, 2), np.array([0, 1, 0])
    >>> first = cached_fit(StandardScaler(), X, y, featurize=lambda c, X: X)
    >>> second = cached_fit(StandardScaler(), X, y, featurize=lambda c, X: X)
    >>> first[2], second[2], second[0] is first[0]
    (False, True, False)
    >>> clear_classifier_cache()
    """
    key, refs = _fingerprint(classifier, X, y) if enabled else (None, [])
    if key is not None and key in _CACHE:
        _CACHE.move_to_end(key)
        stored, features, _ = _CACHE[key]
        fitted = _copy_fitted(stored)
        if fitted is not None:
            return fitted, features.copy(), True
        del _CACHE[key]
    fitted = classifier.fit(X, y)
    features = featurize(fitted, X)
    stored = _copy_fitted(fitted) if key is not None else None
    if stored is not None:
        _CACHE[key] = (stored, np.array(features, copy=True), refs)
        while len(_CACHE) > MAX_ENTRIES:
            _CACHE.popitem(last=False)
    return fitted, features, False


def clear_classifier_cache() -> None:
    """Empty the cache of fitted classifiers (frees their networks).

    Examples
    --------
    >>> clear_classifier_cache()
    """
    _CACHE.clear()
