"""EnsembleClassifier: a deep ensemble, members trained from different seeds."""

from __future__ import annotations

from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.metaestimators import available_if

from specauth._state import FittedStateMixin
from specauth._validation import Interval, check_is_fitted, check_params
from specauth.estimators._seeding import seed_from_random_state

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["EnsembleClassifier"]


def _members_have(name):
    """``available_if`` check: the member estimator has method ``name``."""

    def check(ensemble):
        member = ensemble.estimator
        if member is None:  # CNNClassifier has them all
            return True
        return callable(getattr(member, name, None)) or (
            name == "decision_function" and callable(getattr(member, "logits", None))
        )

    return check


def _seed_keys(estimator):
    """Every ``random_state`` parameter, nested ones (a Pipeline's) included."""
    return [
        key
        for key in estimator.get_params(deep=True)
        if key == "random_state" or key.endswith("__random_state")
    ]


class EnsembleClassifier(FittedStateMixin, ClassifierMixin, BaseEstimator):
    """A deep ensemble: ``n_estimators`` copies of a classifier, averaged.

    Each member is a clone of ``estimator`` trained on the same data from its
    own seed (its ``random_state``); the ensemble's probabilities are the
    mean of the members' (Lakshminarayanan et al., 2017). Ensembles are more
    accurate and better calibrated than their members on small data, and
    where the members disagree a sample is likely new: the
    :class:`~specauth.ood.MutualInformation` detector reads that
    disagreement from :meth:`member_proba`.

    Parameters
    ----------
    estimator : estimator, default=None
        The member classifier (unfitted; cloned, never fitted in place),
        with ``predict_proba``. ``None`` uses ``CNNClassifier()``.
    n_estimators : int, default=5
        Number of members.
    random_state : int, RandomState, Generator or None, default=None
        Seeds of the members: member ``i`` gets the ``i``-th of
        ``n_estimators`` seeds drawn from it, as every ``random_state`` of
        the member (those of a Pipeline's steps included). ``None`` trains
        every member unseeded. Members without a ``random_state`` are trained
        as they are (identical members if they are deterministic).

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted members.
    seeds_ : list of int or None
        The ``random_state`` each member was given.
    classes_ : ndarray of shape (n_classes,)
        Class labels (every member's).
    n_features_in_ : int
        Points per spectrum.

    See Also
    --------
    specauth.ood.MutualInformation : member disagreement as a detector.

    References
    ----------
    .. [1] B. Lakshminarayanan, A. Pritzel, C. Blundell, "Simple and Scalable
       Predictive Uncertainty Estimation using Deep Ensembles", NeurIPS 2017.

    Examples
    --------
    >>> from sklearn.neural_network import MLPClassifier
    >>> from specauth.datasets import make_spectra
    >>> data = make_spectra(n_classes=3, n_samples_per_class=20, length=128,
    ...                     random_state=0)
    >>> member = MLPClassifier((16,), max_iter=300)
    >>> ensemble = EnsembleClassifier(member, n_estimators=3, random_state=0)
    >>> ensemble = ensemble.fit(data.X / data.X.max(), data.y)
    >>> ensemble.member_proba(data.X[:2] / data.X.max()).shape
    (2, 3, 3)
    """

    _parameter_constraints: dict[str, list[Any]] = {
        "estimator": [object, None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator: Any = None,
        *,
        n_estimators: int = 5,
        random_state: int | np.random.RandomState | np.random.Generator | None = None,
    ) -> None:
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.random_state = random_state

    def fit(self, X: ArrayLike, y: ArrayLike) -> EnsembleClassifier:
        """Train every member on ``(X, y)`` from its own seed.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)
            Training spectra.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : EnsembleClassifier
        """
        check_params(self)
        template = self._template()
        seeds = self._seeds()
        members = []
        for seed in seeds:
            member = clone(template)
            if seed is not None:
                member.set_params(**dict.fromkeys(_seed_keys(template), seed))
            members.append(member.fit(X, y))
        classes = members[0].classes_
        for member in members[1:]:
            if not np.array_equal(member.classes_, classes):
                raise ValueError(
                    "The members of the EnsembleClassifier learned different "
                    f"classes ({classes.tolist()} and {member.classes_.tolist()})."
                )
        self.estimators_ = members
        self.seeds_ = seeds
        self.classes_ = classes
        self.n_features_in_ = members[0].n_features_in_
        return self

    def _template(self):
        if self.estimator is None:
            from specauth.estimators import CNNClassifier

            return CNNClassifier()
        if not callable(getattr(self.estimator, "predict_proba", None)):
            raise TypeError(
                "`estimator` must be a classifier with fit and predict_proba; got "
                f"{type(self.estimator).__name__}."
            )
        return self.estimator

    def _seeds(self):
        has_seed = bool(_seed_keys(self._template()))
        if not has_seed or self.random_state is None:
            return [None] * self.n_estimators
        rng = np.random.default_rng(seed_from_random_state(self.random_state))
        return [int(seed) for seed in rng.integers(0, 2**31 - 1, self.n_estimators)]

    def member_proba(self, X: ArrayLike) -> np.ndarray:
        """Every member's class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_estimators, n_classes)
        """
        check_is_fitted(self)
        return np.stack(
            [np.asarray(m.predict_proba(X), np.float64) for m in self.estimators_],
            axis=1,
        )

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Mean of the members' probabilities (columns follow ``classes_``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return self.member_proba(X).mean(axis=1)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Class of the largest mean probability.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    @available_if(_members_have("decision_function"))
    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Mean of the members' logits (their ``logits`` or ``decision_function``).

        The logit detectors (Energy, MaxLogit) read these. Their softmax is
        close to, not equal to, :meth:`predict_proba` (the mean of the
        softmaxes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)

        Returns
        -------
        logits : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        parts = []
        for member in self.estimators_:
            method = getattr(member, "logits", None) or member.decision_function
            parts.append(np.asarray(method(X), dtype=np.float64))
        return np.mean(parts, axis=0)

    @available_if(_members_have("transform"))
    def transform(self, X: ArrayLike) -> np.ndarray:
        """The members' embeddings side by side (the feature detectors read it).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)

        Returns
        -------
        features : ndarray of shape (n_samples, sum of the members' widths)
        """
        check_is_fitted(self)
        return np.hstack(
            [np.asarray(m.transform(X), np.float64) for m in self.estimators_]
        )

    def __sklearn_tags__(self):
        from sklearn.utils import get_tags

        tags = super().__sklearn_tags__()
        member = get_tags(self._template())
        tags.input_tags = member.input_tags
        tags.non_deterministic = self.random_state is None or member.non_deterministic
        return tags
