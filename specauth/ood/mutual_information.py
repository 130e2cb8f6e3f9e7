"""Disagreement of an ensemble's members: their mutual information."""

from __future__ import annotations

from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._validation import Interval
from specauth.ood._base import BaseDetector

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["MutualInformation", "mutual_information_score"]

_TINY = np.finfo(np.float64).tiny


def _entropy(proba, axis=-1):
    return -np.sum(proba * np.log(np.clip(proba, _TINY, None)), axis=axis)


def mutual_information_score(member_proba: ArrayLike) -> np.ndarray:
    """Return minus the mutual information of the members' predictions.

    With ``p_i`` the class probabilities of member ``i`` and ``p`` their
    mean, the mutual information between the prediction and the member is
    ``H(p) - mean_i H(p_i)`` (``H`` the entropy, in nats): 0 when every
    member says the same, up to ``log(n_members)`` when they disagree
    completely. It is the epistemic part of the ensemble's uncertainty (the
    "BALD" score of Bayesian active learning).

    Parameters
    ----------
    member_proba : array-like of shape (n_samples, n_members, n_classes)
        Class probabilities of each member.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Minus the mutual information: at most 0; higher means the members
        agree more (more in-distribution).

    Examples
    --------
    >>> agree = [[[0.9, 0.1], [0.9, 0.1]]]
    >>> disagree = [[[1.0, 0.0], [0.0, 1.0]]]
    >>> mutual_information_score(agree + disagree).round(4)
    array([ 0.    , -0.6931])
    """
    proba = np.asarray(member_proba, dtype=np.float64)
    if proba.ndim != 3:
        raise ValueError(
            "`member_proba` must have shape (n_samples, n_members, n_classes); "
            f"got shape {proba.shape}."
        )
    mean = proba.mean(axis=1)
    return _entropy(proba).mean(axis=1) - _entropy(mean)


class MutualInformation(BaseDetector):
    """Ensemble disagreement detector: minus the members' mutual information.

    The members of a deep ensemble
    (:class:`~specauth.estimators.EnsembleClassifier`) agree on samples like
    their training data and disagree away from it. The score is minus the
    mutual information ``H(mean_i p_i) - mean_i H(p_i)`` of the members'
    class probabilities ``p_i``; **higher = more in-distribution**.

    **Inputs.** ``input_kind = "members"``: the members' probabilities.
    With ``model=None``, ``X`` is their flattened form, shape ``(n_samples,
    n_members * n_classes)``, member after member (``member_proba.reshape(n,
    -1)``), and ``n_members`` must be given; with ``model`` (a fitted
    ensemble), ``X`` holds spectra and ``model.member_proba(X)`` is read,
    ``n_members`` from its shape. Inside
    :class:`~specauth.openset.OpenSetClassifier` with an
    ``EnsembleClassifier``, both come from the ensemble.

    Members agree on their own training data more than on new samples of
    the same classes, so the threshold set on training scores rejects more
    than ``alpha`` of new known samples: prefer ``calibrate_on="holdout"``
    in OpenSetClassifier (or :meth:`calibrate` on held-out spectra).

    Parameters
    ----------
    n_members : int, default=None
        Number of members in the flattened input; ``None`` when ``model``
        gives the probabilities (or OpenSetClassifier sets it).
    model : estimator or None, default=None
        A fitted ensemble with ``member_proba(X)``, or ``None`` when ``X`` is
        already the flattened probabilities.
    %(alpha)s

    Attributes
    ----------
    n_members_ : int
        Number of members seen in ``fit``.
    %(threshold_attributes)s
    n_features_in_ : int
        ``n_members * n_classes``.

    See Also
    --------
    specauth.estimators.EnsembleClassifier : the deep ensemble it reads.

    References
    ----------
    .. [1] B. Lakshminarayanan, A. Pritzel, C. Blundell, "Simple and Scalable
       Predictive Uncertainty Estimation using Deep Ensembles", NeurIPS 2017.
    .. [2] N. Houlsby, F. Huszár, Z. Ghahramani, M. Lengyel, "Bayesian
       Active Learning for Classification and Preference Learning",
       arXiv:1112.5745, 2011.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> agree = np.repeat(rng.dirichlet([8, 1, 1], size=(50, 1)), 3, axis=1)
    >>> det = MutualInformation(n_members=3).fit(agree.reshape(50, -1))
    >>> split = np.array([[[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]])
    >>> det.predict(split.reshape(1, -1))
    array([-1])
    """

    input_kind = "members"

    _parameter_constraints = {
        **BaseDetector._parameter_constraints,
        "n_members": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self, *, n_members: int | None = None, model: Any = None, alpha: float = 0.05
    ) -> None:
        super().__init__(model=model, alpha=alpha)
        self.n_members = n_members

    def _fit(self, Z, y):
        self.n_members_ = self._members(Z)

    def _members(self, Z):
        n_members = self.n_members
        if n_members is None and self.model is not None:
            n_members = getattr(self.model, "n_estimators", None)
        if n_members is None:
            raise ValueError(
                "MutualInformation needs `n_members` (the number of ensemble "
                "members in the flattened probabilities), or a fitted ensemble "
                "as `model`."
            )
        if Z.shape[1] % n_members:
            raise ValueError(
                f"The inputs have {Z.shape[1]} columns, which is not "
                f"`n_members={n_members}` blocks of class probabilities."
            )
        return int(n_members)

    def _score(self, Z):
        members = getattr(self, "n_members_", None) or self._members(Z)
        return mutual_information_score(Z.reshape(Z.shape[0], members, -1))
