"""A small in-process cache of fitted classifiers, for fast detector tuning.

``GridSearchCV`` clones :class:`~specauth.openset.OpenSetClassifier` for every
parameter combination and fold. When only detector parameters change (for
example ``detector__alpha``), the network it would train is the same one: same
classifier parameters, same training data. The cache maps a fingerprint of
*(classifier class, classifier parameters, X, y)* to the fitted classifier and
its embedding of ``X``, so such a search trains one network per fold.

The cache is per process (``n_jobs=1`` searches, or each worker of a parallel
search), holds at most :data:`MAX_ENTRIES` entries (least recently used are
dropped) and can be emptied with :func:`clear_classifier_cache`.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    from numpy.typing import ArrayLike

__all__ = ["MAX_ENTRIES", "cached_fit", "clear_classifier_cache"]

MAX_ENTRIES = 4
_CACHE: OrderedDict = OrderedDict()


def _fingerprint(classifier, X, y):
    import pickle

    import joblib

    params = classifier.get_params(deep=False)
    try:
        return joblib.hash((type(classifier).__qualname__, params, X, y))
    except (TypeError, AttributeError, pickle.PicklingError):
        return None  # parameters that cannot be hashed: do not cache


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
        The fitted classifier (the cached object on a hit).
    features : ndarray
        ``featurize(classifier, X)``.
    hit : bool
        Whether the result came from the cache.
    """
    key = _fingerprint(classifier, X, y) if enabled else None
    if key is not None and key in _CACHE:
        _CACHE.move_to_end(key)
        fitted, features = _CACHE[key]
        return fitted, features, True
    fitted = classifier.fit(X, y)
    features = featurize(fitted, X)
    if key is not None:
        _CACHE[key] = (fitted, features)
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
