"""Activation shaping shared by ASH, SCALE and ReAct.

:class:`PercentileHeadDetector` is their common base: a
:class:`~specauth.ood._head.HeadDetector` with one ``percentile`` parameter,
whose ``fit`` reads the last Dense layer; each subclass shapes the embedding
its own way and scores the energy of the logits of the shaped features.

ASH and SCALE also share a per-sample rescaling: both keep each sample's
largest activations -- the top ``100 - percentile`` percent of its
``n_features`` values -- and compare their sum with the sum of all its
activations (:func:`rescaling`). Both assume non-negative activations (the
output of a ReLU, as the embedding of :class:`~specauth.estimators.CNNClassifier`
is).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from specauth.ood._head import HeadDetector

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = [
    "PercentileHeadDetector",
    "check_non_negative",
    "n_kept",
    "rescaling",
    "top_activations",
]


class PercentileHeadDetector(HeadDetector):
    """Base of ASH, SCALE and ReAct: a head detector with a ``percentile``.

    Not used directly. It stores ``percentile`` with the last Dense layer's
    parameters, and its ``_fit`` sets ``weight_`` and ``bias_`` (see
    :class:`~specauth.ood._head.HeadDetector`); a subclass declares the
    range of ``percentile`` in ``_parameter_constraints``, writes ``_score``,
    and extends ``_fit`` when it learns more from the training features.

    Parameters
    ----------
    percentile : float, default=90
        The subclass's percentile, in [0, 100].
    weight : array-like of shape (n_features, n_classes) or None, default=None
        Kernel of the last Dense layer, when ``model`` is None.
    bias : array-like of shape (n_classes,) or None, default=None
        Its bias, when ``model`` is None.
    model : estimator or None, default=None
        Fitted classifier providing the embedding and ``head_weights()``.
    alpha : float, default=0.05
        Fraction of the training data rejected, in (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.ood import ASH, ReAct
    >>> [issubclass(cls, PercentileHeadDetector) for cls in (ASH, ReAct)]
    [True, True]
    >>> ASH(percentile=50, weight=np.eye(2), bias=np.zeros(2)).fit(np.eye(2)).bias_
    array([0., 0.])
    """

    def __init__(
        self,
        *,
        percentile: float = 90,
        weight: ArrayLike | None = None,
        bias: ArrayLike | None = None,
        model: Any = None,
        alpha: float = 0.05,
    ) -> None:
        super().__init__(weight=weight, bias=bias, model=model, alpha=alpha)
        self.percentile = percentile

    def _fit(self, Z, y):
        self._fit_head(Z.shape[1])


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


def rescaling(
    features: ArrayLike, percentile: float, owner: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checked features, the mask of each row's kept activations and ``s1 / s2``.

    ``s1`` is the sum of all a row's activations and ``s2`` that of its
    :func:`n_kept` largest ones; a row of zeros gets 0 (its features stay
    zero whatever the factor).

    Parameters
    ----------
    features : array-like of shape (n_samples, n_features)
        Non-negative activations.
    percentile : float
        Percent of each row's activations left out of ``s2``, in [0, 100).
    owner : str
        Name of the detector, for the error message.

    Returns
    -------
    features : ndarray of shape (n_samples, n_features), dtype float64
    mask : ndarray of shape (n_samples, n_features), dtype bool
        True for the activations kept.
    ratio : ndarray of shape (n_samples,)
        ``s1 / s2``; the rescaling factor is ``exp(ratio)``.

    Raises
    ------
    ValueError
        If ``features`` holds a negative value.

    Examples
    --------
    >>> _, mask, ratio = rescaling([[3.0, 1.0], [0.0, 0.0]], 50, "ASH")
    >>> mask
    array([[ True, False],
           [ True, False]])
    >>> ratio.round(4)
    array([1.3333, 0.    ])
    """
    features = np.asarray(features, dtype=np.float64)
    check_non_negative(features, owner)
    mask = top_activations(features, n_kept(features.shape[1], percentile))
    total = features.sum(axis=1)
    kept_total = np.where(mask, features, 0.0).sum(axis=1)
    ratio = np.divide(total, kept_total, out=np.zeros_like(total), where=kept_total > 0)
    return features, mask, ratio
