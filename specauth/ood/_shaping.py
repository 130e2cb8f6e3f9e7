"""Per-sample activation shaping shared by ASH and SCALE.

Both keep each sample's largest activations -- the top ``100 - percentile``
percent of its ``n_features`` values -- and compare their sum with the sum
of all its activations. Both assume non-negative activations (the output of
a ReLU, as the embedding of :class:`~specauth.estimators.CNNClassifier` is).
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_non_negative", "n_kept", "top_activations"]


def n_kept(n_features: int, percentile: float) -> int:
    """Number of activations kept: ``n - round(n * percentile / 100)``, at least 1.

    Parameters
    ----------
    n_features : int
        Width of the embedding.
    percentile : float
        Percent of the activations pruned, in [0, 100).

    Returns
    -------
    k : int

    Examples
    --------
    >>> n_kept(128, 90), n_kept(8, 99)
    (13, 1)
    """
    return max(n_features - int(np.round(n_features * percentile / 100.0)), 1)


def top_activations(features: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of the ``k`` largest activations of each row.

    Ties at the k-th value are broken by position (the first ones win), so
    exactly ``k`` entries of each row are True.

    Parameters
    ----------
    features : ndarray of shape (n_samples, n_features)
    k : int
        Number kept per row, in ``[1, n_features]``.

    Returns
    -------
    mask : ndarray of shape (n_samples, n_features), dtype bool

    Examples
    --------
    >>> import numpy as np
    >>> top_activations(np.array([[0.1, 3.0, 2.0], [1.0, 1.0, 0.0]]), 2)
    array([[False,  True,  True],
           [ True,  True, False]])
    """
    order = np.argsort(-features, axis=1, kind="stable")[:, :k]
    mask = np.zeros(features.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask


def check_non_negative(features: np.ndarray, owner: str) -> None:
    """Raise a ValueError if ``features`` holds a negative value.

    Examples
    --------
    >>> import numpy as np
    >>> check_non_negative(np.array([[0.0, 1.0]]), "ASH")
    """
    lowest = float(features.min()) if features.size else 0.0
    if lowest < 0:
        raise ValueError(
            f"{owner} needs non-negative activations (the output of a ReLU, as "
            "the embedding of a CNNClassifier is): its per-sample rescaling "
            f"compares sums of activations. Got a minimum of {lowest:.4g}; use "
            "ReAct or Energy on signed features."
        )
