"""Keep a contiguous range of the columns of spectra, by index or by energy."""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from specauth._validation import (
    FLOATS,
    Interval,
    check_is_fitted,
    check_params,
    validate_data,
)
from specauth.preprocessing._energies import check_energies

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["Crop"]


class Crop(TransformerMixin, BaseEstimator):
    """Keep a contiguous range of columns of each spectrum.

    Without ``energies``, ``start`` and ``stop`` are column indices with the
    semantics of a Python slice ``X[:, start:stop]`` (``stop`` excluded,
    negative values count from the end). With ``energies``, they are energy
    values (in the unit of ``energies``) and every column whose energy ``e``
    satisfies ``start <= e <= stop`` is kept (both ends included).

    Parameters
    ----------
    start : int or float, default=None
        First column index, or lowest energy kept when ``energies`` is given.
        ``None`` means from the first column.
    stop : int or float, default=None
        Column index one past the last kept column, or highest energy kept
        when ``energies`` is given. ``None`` means up to the last column.
    energies : array-like of shape (n_features,), default=None
        Energy (or 2-theta, wavenumber ...) of each column, strictly
        increasing. Its length must equal the number of columns of ``X``.

    Attributes
    ----------
    support_ : ndarray of shape ``(n_features_in_,)``, dtype bool
        Mask of the kept columns.
    energies_ : ndarray of shape (n_features_out,) or None
        Energies of the kept columns, or ``None`` when ``energies`` is None.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape ``(n_features_in_,)``
        Column names seen in ``fit``; only when ``X`` had string column names.

    See Also
    --------
    SpectrumNormalizer : Scale each spectrum (sum, max, area, SNV, L2).
    LogTransform : Floor then take the logarithm.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.preprocessing import Crop
    >>> X = np.arange(10.0).reshape(2, 5)
    >>> Crop(1, -1).fit_transform(X)
    array([[1., 2., 3.],
           [6., 7., 8.]])
    >>> crop = Crop(20.0, 40.0, energies=[10.0, 20.0, 30.0, 40.0, 50.0]).fit(X)
    >>> crop.transform(X)
    array([[1., 2., 3.],
           [6., 7., 8.]])
    >>> crop.energies_
    array([20., 30., 40.])
    """

    _parameter_constraints = {
        "start": [Interval(Real, None, None, closed="neither"), None],
        "stop": [Interval(Real, None, None, closed="neither"), None],
        "energies": ["array-like", None],
    }

    def __init__(
        self,
        start: float | None = None,
        stop: float | None = None,
        *,
        energies: ArrayLike | None = None,
    ) -> None:
        self.start = start
        self.stop = stop
        self.energies = energies

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> Crop:
        """Check ``X`` and work out which columns to keep.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra, one per row.
        y : None
            Ignored; present for pipeline compatibility.

        Returns
        -------
        self : Crop
            The fitted transformer.
        """
        check_params(self)
        X_checked = validate_data(self, X, reset=True, dtype=FLOATS)
        n_features = X_checked.shape[1]
        if self.energies is None:
            self.support_ = self._index_support(n_features)
            self.energies_ = None
        else:
            energies = check_energies(self.energies, n_features)
            self.support_ = self._energy_support(energies)
            self.energies_ = energies[self.support_]
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Return the kept columns of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            Spectra, one per row.

        Returns
        -------
        X_cropped : ndarray of shape (n_samples, n_features_out)
            A new array (float32 stays float32, other input becomes float64).
        """
        check_is_fitted(self)
        X_checked = validate_data(self, X, reset=False, dtype=FLOATS)
        return X_checked[:, self.support_]

    def get_feature_names_out(
        self, input_features: ArrayLike | None = None
    ) -> np.ndarray:
        """Return the names of the kept columns.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input column names; by default ``feature_names_in_`` when fitted on
            a DataFrame, else ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            Names of the columns ``transform`` returns.
        """
        check_is_fitted(self)
        return _input_feature_names(self, input_features)[self.support_]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _index_support(self, n_features):
        for name in ("start", "stop"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Integral):
                raise TypeError(
                    f"`{name}` must be an int column index (or None) when "
                    f"`energies` is None; got {value!r}. Pass `energies` to crop "
                    "by energy value."
                )
        support = np.zeros(n_features, dtype=bool)
        support[slice(self.start, self.stop)] = True
        if not support.any():
            raise ValueError(
                f"Crop(start={self.start!r}, stop={self.stop!r}) keeps no column "
                f"of X, which has n_features={n_features}; choose `start` < `stop` "
                "within the spectrum."
            )
        return support

    def _energy_support(self, energies):
        low = -np.inf if self.start is None else self.start
        high = np.inf if self.stop is None else self.stop
        support = (energies >= low) & (energies <= high)
        if not support.any():
            raise ValueError(
                f"Crop(start={self.start!r}, stop={self.stop!r}) keeps no column "
                f"of X: `energies` run from {energies[0]:g} to {energies[-1]:g} "
                f"(n_features={energies.size}); choose `start` <= `stop` that "
                "overlap that range."
            )
        return support


def _input_feature_names(estimator, input_features):
    """Names of the input columns, checked against what ``fit`` saw."""
    fitted = getattr(estimator, "feature_names_in_", None)
    n_features = estimator.n_features_in_
    if input_features is None:
        if fitted is not None:
            return np.asarray(fitted, dtype=object)
        return np.asarray([f"x{i}" for i in range(n_features)], dtype=object)
    names = np.asarray(input_features, dtype=object)
    if names.ndim != 1 or names.shape[0] != n_features:
        raise ValueError(
            f"`input_features` must hold n_features_in_={n_features} names; "
            f"got {names.shape[0] if names.ndim == 1 else names.shape}."
        )
    if fitted is not None and not np.array_equal(names, fitted):
        raise ValueError(
            "`input_features` is not equal to feature_names_in_, the column "
            "names seen in fit; pass None or the same names."
        )
    return names
