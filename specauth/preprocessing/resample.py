"""Interpolate spectra onto one axis (another instrument, another grid)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array

from specauth._validation import Options, check_is_fitted, check_params
from specauth.axis import as_spectral_axis, axis_of_frame, resample_spectra

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from specauth.axis import SpectralAxis

__all__ = ["AxisResampler"]


class AxisResampler(TransformerMixin, BaseEstimator):
    """Interpolate spectra onto one axis: the training axis, or one you choose.

    Put it first in a pipeline fitted on a DataFrame whose column labels are
    the axis values (wavenumbers, energies ...): it remembers that axis, and
    at predict time interpolates spectra measured on another grid (another
    instrument, another resolution) onto it, so the model sees what it was
    trained on. With ``axis`` it resamples everything onto that axis, which
    pools spectra from several instruments.

    The axis of the spectra to transform comes from the column labels of a
    DataFrame, or from the ``source`` argument of :meth:`transform` for
    arrays; an array without one must already be on the target axis (same
    number of points), and is returned as a copy.

    Parameters
    ----------
    axis : SpectralAxis or array-like, default=None
        The axis to resample onto. ``None``: the axis of the spectra given to
        ``fit`` (a DataFrame with axis columns, or ``fit``'s ``source``).
    method : {"linear", "cubic"}, default="linear"
        Piecewise-linear interpolation or a natural cubic spline (see
        :func:`specauth.axis.resample_spectra`).
    out_of_range : {"error", "edge", "zero"}, default="error"
        Target points beyond the spectra's axis (more than half a step):
        refuse, repeat the edge value, or put zero.

    Attributes
    ----------
    axis_ : SpectralAxis
        The target axis (the axis the pipeline's next steps were fitted on).
    axis_out_ : SpectralAxis
        The same: the axis of the output.
    n_features_in_ : int
        Number of columns of the spectra seen in ``fit``.

    See Also
    --------
    specauth.axis.resample_spectra : The function doing the work.
    Crop : Keep a range of the axis.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.preprocessing import AxisResampler
    >>> resampler = AxisResampler(axis=[1.0, 2.0, 3.0]).fit(np.zeros((1, 3)))
    >>> resampler.transform([[0.0, 10.0, 20.0, 30.0]], source=[0.5, 1.5, 2.5, 3.5])
    array([[ 5., 15., 25.]])
    """

    _parameter_constraints = {
        "axis": ["array-like", dict, object, None],
        "method": [Options(str, {"linear", "cubic"})],
        "out_of_range": [Options(str, {"error", "edge", "zero"})],
    }

    def __init__(
        self, axis: Any = None, *, method: str = "linear", out_of_range: str = "error"
    ) -> None:
        self.axis = axis
        self.method = method
        self.out_of_range = out_of_range

    def fit(
        self, X: ArrayLike, y: ArrayLike | None = None, *, source: Any = None
    ) -> AxisResampler:
        """Record the target axis (``axis``, else the axis of ``X``).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_points)
            Training spectra; a DataFrame's numeric column labels are their axis.
        y : None
            Ignored.
        source : SpectralAxis or array-like, default=None
            The axis of ``X`` when it is an array.

        Returns
        -------
        self : AxisResampler
        """
        check_params(self)
        arr, given = self._spectra(X, source)
        target = as_spectral_axis(self.axis, name="axis")
        if target is None:
            target = given
        if target is None:
            raise ValueError(
                "AxisResampler needs an axis to resample onto: pass `axis`, or fit "
                "on a DataFrame whose column labels are the axis values (or pass "
                "`source` for an array)."
            )
        self.axis_ = self.axis_out_ = target
        self.n_features_in_ = arr.shape[1]
        self.n_features_out_ = len(target)
        return self

    def transform(self, X: ArrayLike, *, source: Any = None) -> np.ndarray:
        """Interpolate ``X`` onto the target axis.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_points)
            Spectra on any axis that covers the target one.
        source : SpectralAxis or array-like, default=None
            The axis of ``X`` when it is an array (a DataFrame's columns win).

        Returns
        -------
        X_new : ndarray of shape (n_samples, len(axis_)), float64
        """
        check_is_fitted(self, "axis_")
        arr, given = self._spectra(X, source)
        target: SpectralAxis = self.axis_
        if given is None:
            if arr.shape[1] != len(target):
                raise ValueError(
                    f"X has {arr.shape[1]} points and no axis, so it cannot be "
                    f"resampled onto the {target.describe()}: pass a DataFrame "
                    "whose column labels are its axis values, or `source=`."
                )
            return arr.astype(np.float64, copy=True)
        return resample_spectra(
            arr, given, target, method=self.method, out_of_range=self.out_of_range
        )

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The target axis values as strings."""
        check_is_fitted(self, "axis_")
        return self.axis_.feature_names()

    def _spectra(self, X, source):
        given = axis_of_frame(X)
        values = X.to_numpy() if given is not None else X
        arr = check_array(values, dtype=np.float64, ensure_min_samples=1)
        if given is None and source is not None:
            given = as_spectral_axis(source, arr.shape[1], name="source")
        return arr, given
