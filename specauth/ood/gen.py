"""GEN: generalized entropy of the softmax probabilities (Liu et al., 2023)."""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import softmax

from specauth._validation import Interval
from specauth.ood._base import BaseDetector

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["GEN", "gen_score"]


def gen_score(logits: ArrayLike, gamma: float = 0.1, n_top: int = 100) -> np.ndarray:
    """Return minus the generalized entropy of the ``n_top`` largest probabilities.

    With ``p = softmax(logits)`` and ``P`` the ``M = min(n_top, n_classes)``
    largest probabilities of a sample, the score is
    ``-sum_{j in P} p_j**gamma * (1 - p_j)**gamma``.

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_classes)
        Pre-softmax class scores.
    gamma : float, default=0.1
        Exponent ``gamma`` in (0, 1).
    n_top : int, default=100
        Number ``M`` of largest probabilities kept (capped at ``n_classes``).

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        In ``[-M * 0.5**(2 * gamma), 0]``; higher means more in-distribution.

    Examples
    --------
    >>> gen_score([[0.0, 0.0], [20.0, 0.0]], gamma=0.5).round(4)
    array([-1., -0.])
    """
    probs = softmax(np.asarray(logits, dtype=np.float64), axis=1)
    top = min(int(n_top), probs.shape[1])
    kept = np.sort(probs, axis=1)[:, probs.shape[1] - top :]
    # 1 - p rounds to 0 for p close to 1; the term is then 0, as it should.
    return -np.sum(kept**gamma * np.clip(1.0 - kept, 0.0, None) ** gamma, axis=1)


class GEN(BaseDetector):
    """Generalized-entropy (GEN) detector on the classifier's logits.

    The softmax probabilities ``p = softmax(logits)`` of a confident
    prediction are concentrated on one class; the generalized entropy
    ``G(p) = sum_j p_j**gamma (1 - p_j)**gamma`` (``0 < gamma < 1``) is then
    small. Summing over the ``M = min(n_top, n_classes)`` largest
    probabilities only keeps the long tail of tiny probabilities of a network
    with many classes from dominating. The score is ``-G(p)``, so **higher =
    more in-distribution**; it lies in ``[-M / 4**gamma, 0]``.

    The exponent of ``(1 - p_j)`` is ``gamma``, as in the paper's definition
    and its authors' code (not ``1 - gamma``).

    %(inputs_logits)s

    %(threshold_rule)s

    Parameters
    ----------
    gamma : float, default=0.1
        Exponent in (0, 1); smaller values weigh small probabilities more.
    n_top : int, default=100
        Number ``M`` of largest probabilities summed (>= 1; capped at the
        number of classes).
    %(model_logits)s
    %(alpha)s

    Attributes
    ----------
    %(threshold_attributes)s
    n_features_in_ : int
        Number of logits (classes).

    See Also
    --------
    MaxSoftmax : the largest softmax probability.
    Energy : log-sum-exp of the logits.

    References
    ----------
    .. [1] X. Liu, Y. Lochman, C. Zach, "GEN: Pushing the Limits of
       Softmax-Based Out-of-Distribution Detection", CVPR 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.ood import GEN
    >>> rng = np.random.default_rng(0)
    >>> logits = rng.normal(size=(100, 3)) + [8.0, 0.0, 0.0]
    >>> det = GEN(alpha=0.1).fit(logits)
    >>> int((det.predict(logits) == -1).sum())
    10
    >>> det.predict([[0.0, 0.0, 0.0], [9.0, 0.0, 0.0]])
    array([-1,  1])
    """

    input_kind = "logits"

    _parameter_constraints = {
        **BaseDetector._parameter_constraints,
        "gamma": [Interval(Real, 0, 1, closed="neither")],
        "n_top": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        gamma: float = 0.1,
        n_top: int = 100,
        model: Any = None,
        alpha: float = 0.05,
    ) -> None:
        super().__init__(model=model, alpha=alpha)
        self.gamma = gamma
        self.n_top = n_top

    def _score(self, Z):
        return gen_score(Z, self.gamma, self.n_top)
