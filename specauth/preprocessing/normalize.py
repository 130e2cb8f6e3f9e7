"""Scale each spectrum by its sum, maximum, area or L2 norm, or apply SNV."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin

from specauth._validation import (
    FLOATS,
    Options,
    check_is_fitted,
    check_params,
    validate_data,
)
from specauth.preprocessing._energies import check_energies

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["SpectrumNormalizer"]

_METHODS = ("sum", "max", "area", "snv", "l2")
# A scale at most this fraction of the row's magnitude is cancellation noise.
_RTOL = 1e-12


class SpectrumNormalizer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Normalise each spectrum (row) on its own.

    The transformer is stateless: ``fit`` only checks the parameters and
    records the number of columns, so it can be used before or without
    ``fit`` in a pipeline.

    Parameters
    ----------
    method : {"sum", "max", "area", "snv", "l2"}, default="sum"
        - ``"sum"``: divide by the sum of the row (total counts); a row with a
          negative sum changes sign.
        - ``"max"``: divide by the largest absolute value of the row.
        - ``"area"``: divide by the trapezoidal integral of the row over
          ``energies`` (unit spacing when ``energies`` is None).
        - ``"snv"``: standard normal variate, ``(row - mean) / std`` with the
          population standard deviation (``ddof=0``).
        - ``"l2"``: divide by the Euclidean norm of the row.
    energies : array-like of shape (n_features,), default=None
        Strictly increasing x values of the columns; used by ``"area"`` only,
        but checked against the number of columns whatever the method.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape ``(n_features_in_,)``
        Column names seen in ``fit``; only when ``X`` had string column names.

    See Also
    --------
    LogTransform : Floor then take the logarithm, usually after ``"sum"``.
    Crop : Keep a range of columns.

    Notes
    -----
    A row whose scale is zero -- all zeros, a sum or area that cancels to
    zero (within ``1e-12`` of the row's magnitude), or a constant row for
    ``"snv"`` -- never produces NaN or infinity: it is returned unchanged
    (divided by one, as :class:`sklearn.preprocessing.Normalizer` does), except
    for ``"snv"`` where a constant row becomes zeros.

    The scale is computed in float64 on the row divided by its largest
    absolute value, so large counts cannot overflow; float32 input gives
    float32 output and any other input gives float64 output.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.preprocessing import SpectrumNormalizer
    >>> X = np.array([[1.0, 3.0, 4.0], [0.0, 0.0, 0.0]])
    >>> SpectrumNormalizer("sum").fit_transform(X)
    array([[0.125, 0.375, 0.5  ],
           [0.   , 0.   , 0.   ]])
    >>> SpectrumNormalizer("max").fit_transform(X)[0]
    array([0.25, 0.75, 1.  ])
    >>> SpectrumNormalizer("snv").fit_transform([[1.0, 2.0, 3.0]])
    array([[-1.2247...,  0.        ,  1.2247...]])
    """

    _parameter_constraints = {
        "method": [Options(str, _METHODS)],
        "energies": ["array-like", None],
    }

    def __init__(
        self, method: str = "sum", *, energies: ArrayLike | None = None
    ) -> None:
        self.method = method
        self.energies = energies

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> SpectrumNormalizer:
        """Check the parameters and ``X``; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra, one per row.
        y : None
            Ignored; present for pipeline compatibility.

        Returns
        -------
        self : SpectrumNormalizer
            The fitted transformer.
        """
        check_params(self)
        X_checked = validate_data(self, X, reset=True, dtype=FLOATS)
        if self.energies is not None:
            check_energies(self.energies, X_checked.shape[1])
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Normalise each row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra, one per row.

        Returns
        -------
        X_normalized : ndarray of shape (n_samples, n_features)
            A new array; float32 input stays float32, other input is float64.
        """
        check_is_fitted(self)
        check_params(self)
        X_checked = validate_data(self, X, reset=False, dtype=FLOATS)
        energies = None
        if self.energies is not None:
            energies = check_energies(self.energies, X_checked.shape[1])
        Y = _divide_by_peak(X_checked)
        if self.method == "snv":
            out = _snv(Y)
        elif self.method == "max":
            out = Y
        else:
            out = _divide_by_scale(Y, X_checked, *self._scale(Y, energies))
        return out.astype(X_checked.dtype, copy=False)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _scale(self, Y, energies):
        """Per-row scale of ``Y`` and the magnitude it is compared with."""
        if self.method == "sum":
            return Y.sum(axis=1), np.abs(Y).sum(axis=1)
        if self.method == "l2":
            norm = np.sqrt(np.einsum("ij,ij->i", Y, Y))
            return norm, norm
        weights = _trapezoid_weights(energies, Y.shape[1])
        return Y @ weights, np.abs(Y) @ weights


def _divide_by_peak(X):
    """Return ``X / max|X|`` per row in float64 (zero rows stay zero)."""
    peak = np.max(np.abs(X), axis=1, initial=0.0).astype(np.float64)
    return X / np.where(peak > 0, peak, 1.0)[:, None]


def _divide_by_scale(Y, X, scale, magnitude):
    """Divide rows of ``Y`` by ``scale``; rows with a zero scale keep ``X``."""
    zero = np.abs(scale) <= _RTOL * magnitude
    out = Y / np.where(zero, 1.0, scale)[:, None]
    out[zero] = X[zero]
    return out


def _snv(Y):
    """Standard normal variate of each row; constant rows become zeros."""
    centred = Y - Y.mean(axis=1, keepdims=True)
    std = np.sqrt(np.mean(centred * centred, axis=1))
    zero = std <= _RTOL
    out = centred / np.where(zero, 1.0, std)[:, None]
    out[zero] = 0.0
    return out


def _trapezoid_weights(energies, n_features):
    """Weights ``w`` such that ``row @ w`` is the trapezoidal integral."""
    if energies is None:
        steps = np.ones(max(n_features - 1, 0))
    else:
        steps = np.diff(energies)
    weights = np.zeros(n_features)
    weights[:-1] += steps / 2
    weights[1:] += steps / 2
    return weights
