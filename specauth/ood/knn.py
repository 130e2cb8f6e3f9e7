"""Deep nearest neighbours on normalised features (Sun et al., 2022)."""

from __future__ import annotations

from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._validation import Interval
from specauth.ood._base import BaseDetector

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["KNNDetector", "knn_score", "l2_normalize"]

_BLOCK_ELEMENTS = 2**21  # distances per block with batch_size=None (16 MiB)


def l2_normalize(features: ArrayLike) -> np.ndarray:
    """Return ``features`` with each row scaled to unit Euclidean norm.

    Rows of norm 0 stay 0.

    Parameters
    ----------
    features : array-like of shape (n_samples, n_features)

    Returns
    -------
    normalized : ndarray of shape (n_samples, n_features)
        A new float64 array.

    Examples
    --------
    >>> l2_normalize([[3.0, 4.0], [0.0, 0.0]])
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    features = np.asarray(features, dtype=np.float64)
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.where(norms > 0, norms, 1.0)


def knn_score(
    features: ArrayLike,
    reference: ArrayLike,
    n_neighbors: int = 1,
    *,
    exclude_self: bool = False,
    batch_size: int | None = None,
    normalized: bool = False,
) -> np.ndarray:
    """Return minus the distance to the k-th nearest reference row.

    Both arrays are L2-normalised first; distances are Euclidean between the
    normalised rows, found by brute force ``batch_size`` query rows at a time
    (a ``batch_size x n_reference`` block of distances, never ``n x n``).

    Parameters
    ----------
    features : array-like of shape (n_samples, n_features)
        Query embeddings.
    reference : array-like of shape (n_reference, n_features)
        Training embeddings.
    n_neighbors : int, default=1
        Which neighbour's distance is the score (``k``).
    exclude_self : bool, default=False
        ``features`` *is* ``reference``: leave each row out of its own
        neighbours (leave-one-out).
    batch_size : int or None, default=None
        Query rows per block; None picks it so that a block holds about
        ``2**21`` distances (16 MiB).
    normalized : bool, default=False
        The rows of ``reference`` (and of ``features`` when it is the same
        array) already have unit norm, as a fitted detector's ``reference_``:
        they are used as they are, without a normalised copy.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Higher means more in-distribution.

    Examples
    --------
    >>> import numpy as np
    >>> reference = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> knn_score(np.array([[2.0, 2.0]]), reference).round(4)
    array([-0.7654])
    >>> knn_score(reference, reference, exclude_self=True).round(4)
    array([-1.4142, -1.4142])
    """
    same = features is reference
    ref = l2_normalize(reference) if not normalized else np.asarray(reference)
    queries = ref if same else l2_normalize(features)
    if batch_size is None:
        batch_size = int(np.clip(_BLOCK_ELEMENTS // max(len(ref), 1), 1, 1024))
    ref_sq = np.einsum("ij,ij->i", ref, ref)
    scores = np.empty(queries.shape[0])
    for start in range(0, queries.shape[0], batch_size):
        block = queries[start : start + batch_size]
        rows = np.arange(block.shape[0])
        sq = np.einsum("ij,ij->i", block, block)
        dist2 = sq[:, None] + ref_sq[None, :] - 2.0 * (block @ ref.T)
        if exclude_self:
            dist2[rows, start + rows] = np.inf
        kth = np.partition(dist2, n_neighbors - 1, axis=1)[:, n_neighbors - 1]
        scores[start : start + block.shape[0]] = -np.sqrt(np.maximum(kth, 0.0))
    return scores


class KNNDetector(BaseDetector):
    """k-nearest-neighbour detector on L2-normalised features.

    The embeddings are scaled to unit norm, and a sample's score is minus the
    Euclidean distance to its ``n_neighbors``-th nearest training embedding:
    samples with no close training neighbour are out-of-distribution, so
    **higher = more in-distribution**. The search is exact and memory-bounded
    (``batch_size`` query rows against all training rows at a time).

    The training scores that set the threshold are leave-one-out (each
    training point is left out of its own neighbours). ``score_samples`` on
    the training data itself therefore scores higher -- each point finds
    itself at distance 0 -- and may reject fewer than ``floor(alpha * n)`` of
    them.

    %(inputs_features)s

    The threshold is the same for every detector (see ``BaseDetector``): the
    ``k = floor(alpha * n)`` lowest (leave-one-out) training scores are
    rejected and ``threshold_`` lies halfway between the k-th and (k+1)-th
    lowest.

    Parameters
    ----------
    n_neighbors : int, default=1
        Which neighbour's distance is the score; smaller than the number of
        training samples.
    batch_size : int or None, default=None
        Query rows per block; None picks it so that a block of distances
        takes about 64 MiB.
    %(model_features)s
    %(alpha)s

    Attributes
    ----------
    reference_ : ndarray of shape (n_samples, n_features)
        L2-normalised training embeddings.
    threshold_ : float
        Scores below it are out-of-distribution.
    offset_ : float
        Same as ``threshold_``.
    calibration_scores_ : ndarray of shape (n_samples,)
        Sorted scores the threshold was set on: the leave-one-out training
        scores after ``fit``, the held-out scores after ``calibrate``.
    n_features_in_ : int
        Width of the embedding.

    See Also
    --------
    Mahalanobis : parametric (Gaussian) distance to the classes.

    References
    ----------
    .. [1] Y. Sun, Y. Ming, X. Zhu, Y. Li, "Out-of-Distribution Detection with
       Deep Nearest Neighbors", ICML 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.ood import KNNDetector
    >>> rng = np.random.default_rng(0)
    >>> features = rng.normal(size=(200, 3)) * 0.1 + [1.0, 0.0, 0.0]
    >>> det = KNNDetector(n_neighbors=5).fit(features)
    >>> det.predict([[1.0, 0.05, 0.0], [0.0, 0.0, 1.0]])
    array([ 1, -1])
    """

    _parameter_constraints = {
        **BaseDetector._parameter_constraints,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        n_neighbors: int = 1,
        batch_size: int | None = None,
        model: Any = None,
        alpha: float = 0.05,
    ) -> None:
        super().__init__(model=model, alpha=alpha)
        self.n_neighbors = n_neighbors
        self.batch_size = batch_size

    def _fit(self, Z, y):
        if self.n_neighbors >= Z.shape[0]:
            raise ValueError(
                f"`n_neighbors` must be smaller than the number of training "
                f"samples ({Z.shape[0]}); got {self.n_neighbors}."
            )
        self.reference_ = l2_normalize(Z)

    def _training_scores(self, Z, y):
        return knn_score(
            self.reference_,
            self.reference_,
            self.n_neighbors,
            exclude_self=True,
            batch_size=self.batch_size,
            normalized=True,
        )

    def _score(self, Z):
        return knn_score(
            Z,
            self.reference_,
            self.n_neighbors,
            batch_size=self.batch_size,
            normalized=True,
        )
