"""NNGuide: energy guided by the nearest training neighbours (Park et al., 2023)."""

from __future__ import annotations

import warnings
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._validation import Interval
from specauth.ood._head import HeadDetector
from specauth.ood.energy import energy_score
from specauth.ood.knn import l2_normalize

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["NNGuide", "guidance_bank", "nnguide_score"]

_BLOCK_ELEMENTS = 2**23  # similarities per block with batch_size=None (64 MiB)


def guidance_bank(
    features: ArrayLike, weight: np.ndarray, bias: np.ndarray
) -> np.ndarray:
    """Return the guidance bank: each L2-normalised row times its energy.

    Parameters
    ----------
    features : array-like of shape (n_samples, n_features)
        Training embeddings.
    weight : ndarray of shape (n_features, n_classes)
        Kernel of the last Dense layer.
    bias : ndarray of shape (n_classes,)
        Its bias.

    Returns
    -------
    bank : ndarray of shape (n_samples, n_features)
        ``l2_normalize(features) * logsumexp(features @ weight + bias)``.

    Examples
    --------
    >>> import numpy as np
    >>> guidance_bank(np.array([[3.0, 4.0]]), np.eye(2), np.zeros(2)).round(4)
    array([[2.588 , 3.4506]])
    """
    features = np.asarray(features, dtype=np.float64)
    energy = energy_score(features @ weight + bias)
    return l2_normalize(features) * energy[:, None]


def nnguide_score(
    features: ArrayLike,
    weight: np.ndarray,
    bias: np.ndarray,
    bank: np.ndarray,
    n_neighbors: int = 10,
    *,
    exclude_self: bool = False,
    batch_size: int | None = None,
) -> np.ndarray:
    """Return the energy times the mean similarity to the guidance bank.

    ``score(z) = logsumexp(z @ weight + bias) * mean(top_k(z_hat @ bank.T))``,
    with ``z_hat = z / ||z||`` and ``top_k`` the ``n_neighbors`` largest inner
    products with the rows of ``bank`` (see :func:`guidance_bank`), found by
    brute force ``batch_size`` rows at a time.

    Parameters
    ----------
    features : array-like of shape (n_samples, n_features)
        Query embeddings.
    weight : ndarray of shape (n_features, n_classes)
        Kernel of the last Dense layer.
    bias : ndarray of shape (n_classes,)
        Its bias.
    bank : ndarray of shape (n_bank, n_features)
        Guidance bank.
    n_neighbors : int, default=10
        Number ``k`` of largest inner products averaged.
    exclude_self : bool, default=False
        ``features`` are the rows the bank was built from, in the same order:
        leave each row out of its own neighbours (leave-one-out).
    batch_size : int or None, default=None
        Query rows per block; None picks it so that a block holds about
        ``2**23`` inner products (64 MiB).

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Higher means more in-distribution.

    Examples
    --------
    >>> import numpy as np
    >>> weight, bias = np.eye(2), np.zeros(2)
    >>> bank = guidance_bank(np.array([[1.0, 0.0], [0.0, 1.0]]), weight, bias)
    >>> nnguide_score(np.array([[2.0, 0.0]]), weight, bias, bank, 1).round(4)
    array([2.7932])
    """
    features = np.asarray(features, dtype=np.float64)
    energy = energy_score(features @ weight + bias)
    queries = l2_normalize(features)
    if batch_size is None:
        batch_size = int(np.clip(_BLOCK_ELEMENTS // max(len(bank), 1), 1, 1024))
    guidance = np.empty(queries.shape[0])
    for start in range(0, queries.shape[0], batch_size):
        block = queries[start : start + batch_size] @ bank.T
        if exclude_self:
            rows = np.arange(block.shape[0])
            block[rows, start + rows] = -np.inf
        top = np.partition(block, block.shape[1] - n_neighbors, axis=1)
        guidance[start : start + block.shape[0]] = top[:, -n_neighbors:].mean(axis=1)
    return energy * guidance


class NNGuide(HeadDetector):
    """Nearest-neighbour guidance (NNGuide) of the energy score, on the embedding.

    The energy ``logsumexp(z @ W + b)`` of the logits is a classifier's
    confidence; NNGuide multiplies it by how much the sample resembles
    confident training samples. The *guidance bank* holds every training
    embedding, L2-normalised and multiplied by its own energy; the guidance
    of a sample is the mean of its ``n_neighbors`` largest inner products
    with the bank rows (the cosine similarity to a training sample, weighted
    by that sample's confidence). ``score = energy * guidance``, so **higher =
    more in-distribution**, as in the paper. Both factors are meant to be
    positive; ``fit`` warns when a training energy is ``<= 0``.

    The last Dense layer comes from ``model.head_weights()`` when a model
    is given, else from ``weight`` and ``bias`` (which
    :class:`~specauth.openset.OpenSetClassifier` sets from its classifier).

    Inputs: with ``model=None``, ``X`` is the embedding ``(n_samples,
    n_features)`` and ``weight``/``bias`` are required; with ``model=clf`` (a
    fitted ``CNNClassifier``), ``X`` holds spectra and the detector calls
    ``clf.transform`` in batches of 1024 rows, without modifying ``clf``.

    The training scores that set the threshold are leave-one-out (each
    training point is left out of its own neighbours in the bank).
    ``score_samples`` on the training data itself therefore scores higher --
    each point finds itself in the bank -- and may reject fewer than
    ``floor(alpha * n)`` of them.

    The threshold is the same for every detector (see ``BaseDetector``): the
    ``k = floor(alpha * n)`` lowest (leave-one-out) training scores are
    rejected and ``threshold_`` lies halfway between the k-th and (k+1)-th
    lowest.

    Parameters
    ----------
    n_neighbors : int, default=10
        Number of bank rows averaged; smaller than the number of training
        samples. The paper uses 100 on ImageNet; small data sets need fewer.
    batch_size : int or None, default=None
        Query rows per block; None picks it so that a block of inner
        products takes about 64 MiB.
    weight : array-like of shape (n_features, n_classes) or None, default=None
        Kernel of the last Dense layer, when ``model`` is None.
    bias : array-like of shape (n_classes,) or None, default=None
        Its bias, when ``model`` is None.
    model : estimator or None, default=None
        Fitted classifier providing the embedding and the last layer, or
        ``None`` when ``X`` is the embedding.
    %(alpha)s

    Attributes
    ----------
    bank_ : ndarray of shape (n_samples, n_features)
        Guidance bank: normalised training embeddings times their energy.
    weight_ : ndarray of shape (n_features, n_classes)
        Kernel of the last layer used.
    bias_ : ndarray of shape (n_classes,)
        Bias of the last layer used.
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
    KNNDetector : distance to the k-th nearest normalised training embedding.
    Energy : the energy alone.

    References
    ----------
    .. [1] J. Park, Y. G. Jung, A. B. J. Teoh, "Nearest Neighbor Guidance for
       Out-of-Distribution Detection", ICCV 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.ood import NNGuide
    >>> rng = np.random.default_rng(0)
    >>> means = np.array([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0]])
    >>> features = means[np.arange(100) % 2] + rng.normal(size=(100, 3)) * 0.5
    >>> det = NNGuide(n_neighbors=5, weight=means.T, bias=np.zeros(2))
    >>> det.fit(features).predict([[4.0, 0.0, 0.0], [0.0, 0.0, 4.0]])
    array([ 1, -1])
    """

    _parameter_constraints = {
        **HeadDetector._parameter_constraints,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        n_neighbors: int = 10,
        batch_size: int | None = None,
        weight: ArrayLike | None = None,
        bias: ArrayLike | None = None,
        model: Any = None,
        alpha: float = 0.05,
    ) -> None:
        super().__init__(weight=weight, bias=bias, model=model, alpha=alpha)
        self.n_neighbors = n_neighbors
        self.batch_size = batch_size

    def _fit(self, Z, y):
        if self.n_neighbors >= Z.shape[0]:
            raise ValueError(
                f"`n_neighbors` must be smaller than the number of training "
                f"samples ({Z.shape[0]}); got {self.n_neighbors}."
            )
        self._fit_head(Z.shape[1])
        energy = energy_score(self._logits(Z))
        if not energy.min() > 0:
            warnings.warn(
                f"NNGuide: {int((energy <= 0).sum())} training samples have an "
                f"energy <= 0 (lowest {energy.min():.4g}); their bank rows point "
                "away from them and the score loses its meaning. Shift the bias "
                "of the last layer (it changes no prediction) or use another "
                "detector.",
                UserWarning,
                stacklevel=3,
            )
        self.bank_ = l2_normalize(Z) * energy[:, None]

    def _training_scores(self, Z, y):
        return self._nnguide(Z, exclude_self=True)

    def _score(self, Z):
        return self._nnguide(Z, exclude_self=False)

    def _nnguide(self, Z, *, exclude_self):
        return nnguide_score(
            Z,
            self.weight_,
            self.bias_,
            self.bank_,
            self.n_neighbors,
            exclude_self=exclude_self,
            batch_size=self.batch_size,
        )
