"""Maximum logit (Hendrycks et al., 2022)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from specauth.ood._base import BaseDetector

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["MaxLogit", "max_logit_score"]


def max_logit_score(logits: ArrayLike) -> np.ndarray:
    """Return the largest logit of each sample.

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_classes)
        Pre-softmax class scores.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Higher means more in-distribution.

    Examples
    --------
    >>> max_logit_score([[0.0, 1.5], [2.0, -1.0]])
    array([1.5, 2. ])
    """
    return np.asarray(logits, dtype=np.float64).max(axis=1)


class MaxLogit(BaseDetector):
    """Maximum-logit detector on the classifier's logits.

    The score is the largest logit: unlike the softmax probability it does
    not saturate, and it keeps the magnitude information that normalisation
    discards. **Higher = more in-distribution** (pytorch-ood returns the
    opposite sign).

    %(inputs_logits)s

    %(threshold_rule)s

    Parameters
    ----------
    %(model_logits)s
    %(alpha)s

    Attributes
    ----------
    %(threshold_attributes)s
    n_features_in_ : int
        Number of logits (classes).

    See Also
    --------
    Energy : log-sum-exp of the logits.
    MaxSoftmax : the largest softmax probability.

    References
    ----------
    .. [1] D. Hendrycks, S. Basart, M. Mazeika, A. Zou, J. Kwon, M. Mostajabi,
       J. Steinhardt, D. Song, "Scaling Out-of-Distribution Detection for
       Real-World Settings", ICML 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.ood import MaxLogit
    >>> rng = np.random.default_rng(0)
    >>> logits = rng.normal(size=(100, 3)) + [8.0, 0.0, 0.0]
    >>> det = MaxLogit(alpha=0.1).fit(logits)
    >>> int((det.predict(logits) == -1).sum())
    10
    >>> det.predict([[0.0, 0.0, 0.0], [9.0, 0.0, 0.0]])
    array([-1,  1])
    """

    input_kind = "logits"

    def __init__(self, *, model: Any = None, alpha: float = 0.05) -> None:
        super().__init__(model=model, alpha=alpha)

    def _score(self, Z):
        return max_logit_score(Z)
