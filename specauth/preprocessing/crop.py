"""Keep a contiguous range of the columns of spectra, by index or by energy."""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from specauth._axis_checks import axis_param_constraint
from specauth._validation import (
    FLOATS,
    Interval,
    Options,
    check_is_fitted,
    check_params,
    validate_data,
)
from specauth.axis import SpectralAxis
from specauth.preprocessing._energies import check_energies

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["Crop"]


class Crop(TransformerMixin, BaseEstimator):
    """Keep a contiguous range of columns of each spectrum.

    When the spectra have an axis (the ``axis`` parameter, ``energies``, or
    a DataFrame whose column labels are the axis values), ``start`` and
    ``stop`` are axis values (keV, cm⁻¹, nm, degrees ...) and every column
    whose value ``v`` satisfies ``start <= v <= stop`` is kept (both ends
    included, in either order: ``Crop(1800, 1000)`` on wavenumbers is the
    same range as ``Crop(1000, 1800)``). Without an axis (or with
    ``by="index"``) they are column indices with the semantics of a Python
    slice ``X[:, start:stop]`` (``stop`` excluded, negative values count
    from the end). ``cropped_by_`` and :meth:`describe` say which was used.

    Parameters
    ----------
    start : int or float, default=None
        Lowest axis value kept, or first column index. ``None``: from the
        first column.
    stop : int or float, default=None
        Highest axis value kept, or the column index one past the last kept
        column. ``None``: up to the last column.
    energies : array-like of shape (n_features,), default=None
        The older name of ``axis`` (plain values, strictly increasing).
    axis : SpectralAxis or array-like of shape (n_features,), default=None
        The axis of the spectra (see :class:`specauth.axis.SpectralAxis`).
    by : {"auto", "axis", "index"}, default="auto"
        ``"auto"``: axis units when an axis is known, indices otherwise.

    Attributes
    ----------
    support_ : ndarray of shape ``(n_features_in_,)``, dtype bool
        Mask of the kept columns.
    energies_ : ndarray of shape (n_features_out,) or None
        Axis values of the kept columns, or ``None`` without an axis.
    axis_ : SpectralAxis or None
        The axis of the input spectra.
    axis_out_ : SpectralAxis or None
        The axis of the kept columns.
    cropped_by_ : {"axis", "index"}
        Whether ``start`` and ``stop`` were read as axis values or indices.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape ``(n_features_in_,)``
        Column names seen in ``fit`` (the axis values as strings when an
        axis is known); only when ``X`` had column names or an axis is known.

    See Also
    --------
    AxisResampler : Interpolate spectra onto another axis.
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
        "axis": axis_param_constraint(),
        "by": [Options(str, {"auto", "axis", "index"})],
    }

    def __init__(
        self,
        start: float | None = None,
        stop: float | None = None,
        *,
        energies: ArrayLike | None = None,
        axis: Any = None,
        by: str = "auto",
    ) -> None:
        self.start = start
        self.stop = stop
        self.energies = energies
        self.axis = axis
        self.by = by

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
        if self.energies is not None and self.axis is not None:
            raise ValueError(
                "Give the axis once: `energies` (the older name) or `axis`, not both."
            )
        X_checked = validate_data(self, X, reset=True, dtype=FLOATS)
        n_features = X_checked.shape[1]
        axis = self.axis_
        if self.energies is not None:
            axis = SpectralAxis(check_energies(self.energies, n_features))
        if self.by == "axis" and axis is None:
            raise ValueError(
                "Crop(by='axis') needs an axis: pass `axis` (or `energies`), or "
                "fit on a DataFrame whose column labels are the axis values."
            )
        if axis is None or self.by == "index":
            self.support_ = self._index_support(n_features, axis is not None)
            self.cropped_by_ = "index"
        else:
            self.support_ = self._axis_support(axis)
            self.cropped_by_ = "axis"
        kept = None if axis is None else axis.subset(self.support_)
        self.axis_out_ = kept
        self.energies_ = None if kept is None else kept.values.copy()
        return self

    def describe(self) -> str:
        """Say what was kept, in axis units or as indices (fitted).

        Examples
        --------
        >>> import numpy as np
        >>> crop = Crop(1000, 1800, axis=np.linspace(4000.0, 400.0, 901))
        >>> print(crop.fit(np.zeros((1, 901))).describe())
        kept 1000..1800 (axis units): 201 of 901 points, 1800..1000
        """
        check_is_fitted(self)
        kept, total = int(self.support_.sum()), self.support_.size
        if self.cropped_by_ == "index":
            first = int(np.flatnonzero(self.support_)[0])
            return (
                f"kept columns {first}..{first + kept - 1} (indices): {kept} of "
                f"{total} points"
            )
        out = self.axis_out_
        if out is None:  # pragma: no cover - cropped_by_ "axis" has an axis
            raise RuntimeError("Crop fitted by axis without an axis.")
        unit = f" {out.unit}" if out.unit else " (axis units)"
        return (
            f"kept {self._bound('start')}..{self._bound('stop')}{unit}: {kept} of "
            f"{total} points, {out.values[0]:g}..{out.values[-1]:g}"
        )

    def _bound(self, name):
        value = getattr(self, name)
        return "" if value is None else f"{value:g}"

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

    def _index_support(self, n_features, has_axis):
        for name in ("start", "stop"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Integral):
                hint = (
                    "Use by='auto' to crop in axis units."
                    if has_axis
                    else "Pass `axis` to crop by axis value."
                )
                raise TypeError(
                    f"`{name}` must be an int column index (or None) when "
                    f"cropping by index; got {value!r}. {hint}"
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

    def _axis_support(self, axis):
        low = -np.inf if self.start is None else self.start
        high = np.inf if self.stop is None else self.stop
        if low > high:  # "1800:1000" for an axis drawn decreasing
            low, high = high, low
        values = axis.values
        support = (values >= low) & (values <= high)
        if not support.any():
            raise ValueError(
                f"Crop(start={self.start!r}, stop={self.stop!r}) keeps no column "
                f"of X: the axis runs from {values[0]:g} to {values[-1]:g} "
                f"(n_features={values.size}); choose a range that overlaps it."
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
