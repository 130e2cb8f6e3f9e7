"""Energy score on logits (Liu et al., 2020)."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import logsumexp

from specauth._validation import Interval
from specauth.ood._base import BaseDetector

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["Energy", "energy_score"]


def energy_score(logits: ArrayLike, temperature: float = 1.0) -> np.ndarray:
    """Return ``T * logsumexp(logits / T)``, the negative free energy.

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_classes)
        Pre-softmax class scores.
    temperature : float, default=1.0
        Temperature ``T`` > 0.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Higher means more in-distribution.

    Examples
    --------
    >>> energy_score([[0.0, 0.0], [10.0, 0.0]]).round(4)
    array([ 0.6931, 10.    ])
    """
    logits = np.asarray(logits, dtype=np.float64)
    return temperature * logsumexp(logits / temperature, axis=1)


class Energy(BaseDetector):
    """Energy-based out-of-distribution detector on the classifier's logits.

    The score is ``T * logsumexp(logits / T)`` (the negative free energy of
    Liu et al.): large when some class logit is large, so **higher = more
    in-distribution** (pytorch-ood returns the opposite sign).

    %(inputs_logits)s

    %(threshold_rule)s

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
    MaxLogit : the largest logit.
    MaxSoftmax : the largest softmax probability.

    References
    ----------
    .. [1] W. Liu, X. Wang, J. Owens, Y. Li, "Energy-based Out-of-distribution
       Detection", NeurIPS 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.ood import Energy
    >>> rng = np.random.default_rng(0)
    >>> logits = rng.normal(size=(100, 3)) + [8.0, 0.0, 0.0]
    >>> det = Energy(alpha=0.1).fit(logits)
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
        return energy_score(Z, self.temperature)
