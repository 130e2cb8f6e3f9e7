"""Maximum softmax probability (Hendrycks & Gimpel, 2017)."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import softmax

from specauth._validation import Interval
from specauth.ood._base import BaseDetector

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["MaxSoftmax", "max_softmax_score"]


def max_softmax_score(logits: ArrayLike, temperature: float = 1.0) -> np.ndarray:
    """Return the largest class probability ``max softmax(logits / T)``.

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_classes)
        Pre-softmax class scores.
    temperature : float, default=1.0
        Temperature ``T`` > 0.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        In ``[1 / n_classes, 1]``; higher means more in-distribution.

    Examples
    --------
    >>> max_softmax_score([[0.0, 0.0], [2.0, 0.0]]).round(4)
    array([0.5   , 0.8808])
    """
    logits = np.asarray(logits, dtype=np.float64)
    return softmax(logits / temperature, axis=1).max(axis=1)


class MaxSoftmax(BaseDetector):
    """Maximum-softmax-probability detector (the classic baseline) on logits.

    The score is the largest class probability of ``softmax(logits / T)``:
    confident predictions are in-distribution, so **higher = more
    in-distribution** (pytorch-ood returns the opposite sign). ``T > 1``
    softens the probabilities, as in ODIN's temperature scaling.

    %(inputs_logits)s

    The threshold is the same for every detector (see ``BaseDetector``): the
    ``k = floor(alpha * n)`` lowest training scores are rejected (fewer when
    probabilities saturate at 1 and tie) and ``threshold_`` lies halfway
    between the k-th and (k+1)-th lowest.

    Parameters
    ----------
    temperature : float, default=1.0
        Temperature ``T`` > 0.
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
    MaxLogit : the largest logit.

    References
    ----------
    .. [1] D. Hendrycks, K. Gimpel, "A Baseline for Detecting Misclassified and
       Out-of-Distribution Examples in Neural Networks", ICLR 2017.
    .. [2] S. Liang, Y. Li, R. Srikant, "Enhancing the Reliability of
       Out-of-distribution Image Detection in Neural Networks", ICLR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.ood import MaxSoftmax
    >>> rng = np.random.default_rng(0)
    >>> logits = rng.normal(size=(100, 3)) + [4.0, 0.0, 0.0]
    >>> det = MaxSoftmax(alpha=0.1).fit(logits)
    >>> int((det.predict(logits) == -1).sum())
    10
    >>> det.predict([[0.0, 0.0, 0.0], [9.0, 0.0, 0.0]])
    array([-1,  1])
    """

    input_kind = "logits"

    _parameter_constraints = {
        **BaseDetector._parameter_constraints,
        "temperature": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self, *, temperature: float = 1.0, model: Any = None, alpha: float = 0.05
    ) -> None:
        super().__init__(model=model, alpha=alpha)
        self.temperature = temperature

    def _score(self, Z):
        return max_softmax_score(Z, self.temperature)
