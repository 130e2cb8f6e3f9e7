"""PLSDAClassifier: partial least squares discriminant analysis."""

from __future__ import annotations

import warnings
from numbers import Integral
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.multiclass import check_classification_targets

from specauth._state import FittedStateMixin
from specauth._validation import (
    Interval,
    check_is_fitted,
    check_params,
    validate_data,
)
from specauth.estimators.classifier import check_class_labels

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["PLSDAClassifier"]


def _centre_and_scale(values, scale):
    """Column means, and standard deviations (ones when not scaling)."""
    mean = values.mean(axis=0)
    if not scale:
        return mean, np.ones(values.shape[1])
    std = values.std(axis=0, ddof=1)
    return mean, np.where(std > 0.0, std, 1.0)


class PLSDAClassifier(
    FittedStateMixin, ClassifierMixin, TransformerMixin, BaseEstimator
):
    """Partial least squares discriminant analysis (PLS-DA).

    The chemometrics workhorse for small spectral sets: a PLS regression
    (scikit-learn's :class:`~sklearn.cross_decomposition.PLSRegression`) of
    the one-hot class indicators on the spectra, predicting the class whose
    indicator is predicted largest. Its latent scores are an embedding, and
    the regression from them to the indicators a linear head, so it plugs
    into :class:`~specauth.openset.OpenSetClassifier` like a network: every
    detector works on it (feature detectors on the scores, logit detectors
    on the predicted indicators, ViM on both).

    With ``Xs = (X - x_mean_) / x_scale_``:

    - ``transform(X) = Xs @ x_rotations_`` -- the PLS scores ``T``;
    - ``T @ weight + bias`` with ``(weight, bias) = head_weights()`` ``=
      (y_loadings_.T * y_scale_, y_mean_)`` -- the predicted indicators,
      what ``PLSRegression.predict`` returns, and ``decision_function(X)``
      (with two classes, the second column minus the first);
    - ``predict(X)``: the class of the largest predicted indicator.

    Parameters
    ----------
    n_components : int, default=10
        Number of latent components; lowered, with a ``UserWarning``, to what
        the data support (``n_samples - 1`` and ``n_features``).
    scale : bool, default=True
        Scale every spectral point and every indicator to unit variance
        before the regression (as ``PLSRegression`` does by default).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.
    n_components_ : int
        Number of components used.
    x_mean_, x_scale_ : ndarray of shape (n_features,)
        Centre and scale of the spectra.
    y_mean_, y_scale_ : ndarray of shape (n_classes,)
        Centre and scale of the class indicators.
    x_rotations_ : ndarray of shape (n_features, n_components_)
        Projection of the scaled spectra onto the latent scores.
    y_loadings_ : ndarray of shape (n_classes, n_components_)
        Loadings of the scaled indicators on the latent scores.
    n_features_in_ : int
        Points per spectrum.

    See Also
    --------
    sklearn.cross_decomposition.PLSRegression : the regression it fits.
    specauth.openset.OpenSetClassifier : add rejection of unknown classes.

    References
    ----------
    .. [1] M. Barker, W. Rayens, "Partial least squares for discrimination",
       J. Chemometrics 17(3), 2003.

    Examples
    --------
    >>> from specauth.datasets import make_spectra
    >>> data = make_spectra(n_classes=3, n_samples_per_class=20, length=64,
    ...                     random_state=0)
    >>> clf = PLSDAClassifier(n_components=5).fit(data.X, data.y)
    >>> clf.transform(data.X).shape
    (60, 5)
    >>> float(clf.score(data.X, data.y))
    1.0

    With the rejection of unknown classes, on its latent scores:

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from specauth.ood import DIME
    >>> from specauth.openset import OpenSetClassifier
    >>> data = make_spectra(n_classes=3, n_samples_per_class=30, length=128,
    ...                     n_unknown_classes=1, random_state=0)
    >>> pls_da = make_pipeline(StandardScaler(), PLSDAClassifier(n_components=6))
    >>> osc = OpenSetClassifier(pls_da, DIME(alpha=0.05)).fit(data.X, data.y)
    >>> bool((osc.predict(data.X_unknown) == "unknown").mean() > 0.9)
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "scale": ["boolean"],
    }

    def __init__(self, n_components: int = 10, *, scale: bool = True) -> None:
        self.n_components = n_components
        self.scale = scale

    def fit(self, X: ArrayLike, y: ArrayLike) -> PLSDAClassifier:
        """Fit the PLS regression of the class indicators on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training spectra.
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).

        Returns
        -------
        self : PLSDAClassifier
        """
        from sklearn.cross_decomposition import PLSRegression

        check_params(self)
        if y is not None:
            check_class_labels(y)
        X, y = validate_data(self, X, y, dtype=np.float64, ensure_min_samples=3)
        check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise ValueError(
                f"PLSDAClassifier needs at least 2 classes in `y`; got {classes.size}."
            )
        indicators = np.eye(classes.size)[codes]
        self.x_mean_, self.x_scale_ = _centre_and_scale(X, self.scale)
        self.y_mean_, self.y_scale_ = _centre_and_scale(indicators, self.scale)
        n_samples, n_features = np.shape(X)
        k = self._supported_components(n_samples, n_features)
        pls = PLSRegression(n_components=k, scale=False)
        pls.fit(
            (X - self.x_mean_) / self.x_scale_,
            (indicators - self.y_mean_) / self.y_scale_,
        )
        self.classes_ = classes
        self.n_components_ = k
        self.x_rotations_ = np.asarray(pls.x_rotations_, dtype=np.float64)
        self.y_loadings_ = np.asarray(pls.y_loadings_, dtype=np.float64)
        return self

    def _supported_components(self, n_samples, n_features):
        limit = min(n_samples - 1, n_features)
        if self.n_components <= limit:
            return int(self.n_components)
        warnings.warn(
            f"PLSDAClassifier: `n_components={self.n_components}` is more than "
            f"{n_samples} spectra of {n_features} points support; using {limit}.",
            UserWarning,
            stacklevel=3,
        )
        return limit

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Return the latent PLS scores of ``X`` (its embedding).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_components_)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return ((X - self.x_mean_) / self.x_scale_) @ self.x_rotations_

    def head_weights(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return ``(weight, bias)``: indicators ``= transform @ weight + bias``.

        Returns
        -------
        weight : ndarray of shape (n_components_, n_classes)
        bias : ndarray of shape (n_classes,)
        """
        check_is_fitted(self)
        return self.y_loadings_.T * self.y_scale_, self.y_mean_.copy()

    def _indicators(self, X):
        weight, bias = self.head_weights()
        return self.transform(X) @ weight + bias

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Return the predicted class indicators (one column per class).

        With two classes, scikit-learn's convention: one column, the second
        class's indicator minus the first's (positive = ``classes_[1]``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        indicators : ndarray of shape (n_samples, n_classes) or (n_samples,)
        """
        indicators = self._indicators(X)
        if indicators.shape[1] == 2:
            return indicators[:, 1] - indicators[:, 0]
        return indicators

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Return the class of the largest predicted indicator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self._indicators(X), axis=1)]
