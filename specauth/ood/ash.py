"""ASH-S: activation shaping by pruning and scaling (Djurisic et al., 2023)."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING

import numpy as np

from specauth._validation import Interval
from specauth.ood._shaping import PercentileHeadDetector, rescaling
from specauth.ood.energy import energy_score

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["ASH", "ash_score"]


def ash_score(
    features: ArrayLike, weight: np.ndarray, bias: np.ndarray, percentile: float = 90
) -> np.ndarray:
    """Return the energy of the logits of the ASH-S-shaped features.

    Each row keeps its ``k = n - round(n * percentile / 100)`` largest
    activations (at least 1), the others are set to 0, and the kept ones are
    multiplied by ``exp(s1 / s2)``, with ``s1`` the sum of all the row's
    activations and ``s2`` the sum of the kept ones (a row of zeros stays
    zero). The score is ``logsumexp(shaped @ weight + bias)``.

    Parameters
    ----------
    features : array-like of shape (n_samples, n_features)
        Non-negative embeddings (inputs of the last Dense layer).
    weight : ndarray of shape (n_features, n_classes)
        Kernel of the last Dense layer.
    bias : ndarray of shape (n_classes,)
        Its bias.
    percentile : float, default=90
        Percent of each row's activations pruned, in [0, 100).

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Higher means more in-distribution.

    Raises
    ------
    ValueError
        If ``features`` holds a negative value.

    Examples
    --------
    >>> import numpy as np
    >>> # keep 1 of 2: [3, 1] -> [3 * exp(4 / 3), 0]
    >>> ash_score(np.array([[3.0, 1.0]]), np.eye(2), np.zeros(2), 50).round(4)
    array([11.381])
    """
    features, mask, ratio = rescaling(features, percentile, "ASH")
    kept = np.where(mask, features, 0.0)
    return energy_score(kept * np.exp(ratio)[:, None] @ weight + bias)


class ASH(PercentileHeadDetector):
    """ASH-S: prune each sample's small activations, rescale, then the energy.

    Activation shaping: each sample keeps the largest ``100 - percentile``
    percent of its embedding's activations, ``k = n_features -
    round(n_features * percentile / 100)`` of them (at least 1), sets the
    others to 0 and multiplies the kept ones by ``exp(s1 / s2)``, where
    ``s1`` is the sum of all its activations and ``s2`` that of the kept ones
    (the ASH-S variant). In-distribution samples spread more of their
    activation outside the few largest values, so ``s1 / s2`` -- and the
    sharpened logits -- are larger. The score is the energy
    ``logsumexp(shaped @ W + b)`` of the logits recomputed through the last
    Dense layer ``W, b``; **higher = more in-distribution**.

    The activations must be non-negative (the output of a ReLU, as the
    embedding of a ``CNNClassifier`` is); negative features raise a
    ``ValueError``.

    The last Dense layer comes from ``model.head_weights()`` when a model
    is given, else from ``weight`` and ``bias`` (which
    :class:`~specauth.openset.OpenSetClassifier` sets from its classifier).

    Inputs: with ``model=None``, ``X`` is the embedding ``(n_samples,
    n_features)`` and ``weight``/``bias`` are required; with ``model=clf`` (a
    fitted ``CNNClassifier``), ``X`` holds spectra and the detector calls
    ``clf.transform`` in batches of 1024 rows, without modifying ``clf``.

    The shaping is per sample and learns nothing from the training points
    (only the threshold), so the training scores are used as they are.

    %(threshold_rule)s

    Parameters
    ----------
    percentile : float, default=90
        Percent of each sample's activations pruned, in [0, 100).
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
    weight_ : ndarray of shape (n_features, n_classes)
        Kernel of the last layer used.
    bias_ : ndarray of shape (n_classes,)
        Bias of the last layer used.
    %(threshold_attributes)s
    n_features_in_ : int
        Width of the embedding.

    See Also
    --------
    SCALE : the same rescaling without pruning.
    ReAct : clips the large activations instead.

    References
    ----------
    .. [1] A. Djurisic, N. Bozanic, A. Ashok, R. Liu, "Extremely Simple
       Activation Shaping for Out-of-Distribution Detection", ICLR 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.ood import ASH
    >>> rng = np.random.default_rng(0)
    >>> means = np.kron(np.eye(2), np.ones(5)) * 2.0  # 2 classes, 10 units
    >>> noise = rng.normal(size=(100, 10)) * 0.5
    >>> features = np.abs(means[np.arange(100) % 2] + noise)
    >>> det = ASH(percentile=80, weight=means.T, bias=np.zeros(2)).fit(features)
    >>> spike = np.array([3.0, 0, 0, 0, 0, 3.0, 0, 0, 0, 0])  # two lone units
    >>> det.predict([features[0], spike])
    array([ 1, -1])
    """

    _parameter_constraints = {
        **PercentileHeadDetector._parameter_constraints,
        "percentile": [Interval(Real, 0, 100, closed="left")],
    }

    def _score(self, Z):
        return ash_score(Z, self.weight_, self.bias_, self.percentile)
