"""Baseline removal with any method of pybaselines, as a scikit-learn transformer."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin

from specauth._axis_checks import axis_param_constraint
from specauth._lazy import import_optional
from specauth._validation import (
    FLOATS,
    check_is_fitted,
    check_params,
    validate_data,
)
from specauth.axis import SpectralAxis

if TYPE_CHECKING:
    from collections.abc import Mapping

    from numpy.typing import ArrayLike

__all__ = ["BaselineCorrector", "list_baseline_methods"]

# Methods of pybaselines.Baseline that do not fit baseline(one spectrum):
# collab_pls needs a set of spectra, custom_bc and optimize_extended_range take
# another method (and callables) as arguments.
_NOT_METHODS = frozenset({"collab_pls", "custom_bc", "optimize_extended_range"})
_PURPOSE = "remove baselines with BaselineCorrector"


def _baseline_class() -> Any:
    return import_optional("pybaselines", purpose=_PURPOSE).Baseline


def list_baseline_methods() -> list[str]:
    """Names of the pybaselines methods :class:`BaselineCorrector` can use.

    Every public method of ``pybaselines.Baseline`` that estimates the
    baseline of one spectrum (``asls``, ``airpls``, ``arpls``, ``iasls``,
    ``snip``, ``modpoly``, ``rolling_ball``, ``beads`` ...); see the
    `pybaselines documentation <https://pybaselines.readthedocs.io>`_ for
    what each does and its parameters.

    Returns
    -------
    names : list of str
        Sorted.

    Examples
    --------
    >>> names = list_baseline_methods()
    >>> {"asls", "airpls", "arpls", "snip", "modpoly"} <= set(names)
    True
    """
    cls = _baseline_class()
    return sorted(
        name
        for name in dir(cls)
        if not name.startswith("_")
        and name not in _NOT_METHODS
        and inspect.isfunction(inspect.getattr_static(cls, name))
    )


def _method_parameters(method: str) -> list[str]:
    """The keyword parameters of pybaselines' ``method`` (``data`` excluded)."""
    signature = inspect.signature(getattr(_baseline_class(), method))
    return [
        name
        for name, p in signature.parameters.items()
        if name not in ("self", "data") and p.kind is not p.VAR_KEYWORD
    ]


class BaselineCorrector(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Subtract the baseline that a pybaselines method finds in each spectrum.

    A thin wrapper around `pybaselines <https://pybaselines.readthedocs.io>`_
    (``pip install pybaselines``): for each row of ``X``,
    ``pybaselines.Baseline(x).<method>(row, **params)`` estimates the baseline,
    and the transformer returns ``row - baseline``. Any of the fifty or so
    methods of pybaselines can be used (:func:`list_baseline_methods`): the
    Whittaker family (``asls``, ``iasls``, ``airpls``, ``arpls``, ``drpls``,
    ``iarpls``, ``aspls``, ``psalsa``, ``derpsalsa``), polynomials
    (``modpoly``, ``imodpoly``, ``penalized_poly``), morphology (``mor``,
    ``rolling_ball``, ``tophat``), smoothing (``snip``, ``noise_median``),
    splines, classification (``fabc``, ``dietrich``) and ``beads``.

    The transformer is stateless: each spectrum is corrected on its own, and
    ``fit`` only checks the parameters and records the number of columns and
    the axis.

    Parameters
    ----------
    method : str, default="asls"
        Name of the pybaselines method (:func:`list_baseline_methods`).
    params : dict, default=None
        Keyword arguments of the method, e.g. ``{"lam": 1e5, "p": 0.01}``
        for ``asls``. ``None``: pybaselines' defaults. Use numbers, strings
        and lists so that the model can be saved without pickle.
    axis : SpectralAxis or array-like of shape (n_features,), default=None
        The x value of each column, passed to pybaselines as ``x_data``
        (methods with a window or a polynomial depend on it). ``None``: the
        axis a pandas DataFrame carries in its numeric column labels, else
        pybaselines' default (evenly spaced points). A DataFrame on another
        axis is refused by ``transform``.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape ``(n_features_in_,)``
        Column names seen in ``fit`` (the axis values as strings when an axis
        is known); only when ``X`` had column names or an axis was given.
    axis_ : SpectralAxis or None
        The axis of the columns (from ``axis`` or the DataFrame's columns).

    See Also
    --------
    list_baseline_methods : The methods available.
    chemotools.baseline.AirPls : chemotools' own airPLS (also ``ArPls``,
        ``AsLs``, ``RubberbandCorrection``); they can be saved with the model
        too.

    Notes
    -----
    The output keeps the dtype of ``X`` (float32 or float64); pybaselines
    computes in float64.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.preprocessing import BaselineCorrector
    >>> x = np.linspace(0.0, 100.0, 201)
    >>> peak = np.exp(-0.5 * ((x - 50.0) / 2.0) ** 2)
    >>> X = np.stack([peak + 0.02 * x, 2 * peak + 1.0])  # slope, offset
    >>> corrector = BaselineCorrector("modpoly", params={"poly_order": 1}, axis=x)
    >>> flat = corrector.fit_transform(X)
    >>> np.abs(np.round(flat[:, [0, 100, 200]], 2))  # edges, peak centre
    array([[0., 1., 0.],
           [0., 2., 0.]])
    """

    _parameter_constraints = {
        "method": [str],
        "params": [dict, None],
        "axis": axis_param_constraint(),
    }

    def __init__(
        self,
        method: str = "asls",
        *,
        params: Mapping[str, Any] | None = None,
        axis: SpectralAxis | ArrayLike | None = None,
    ) -> None:
        self.method = method
        self.params = params
        self.axis = axis

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> BaselineCorrector:
        """Check the method, its parameters and the axis; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra, one per row.
        y : None
            Ignored; present for pipeline compatibility.

        Returns
        -------
        self : BaselineCorrector
            The fitted transformer.
        """
        check_params(self)
        self._check_method()
        validate_data(self, X, reset=True, dtype=FLOATS)  # sets axis_
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Subtract each spectrum's baseline.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra, one per row.

        Returns
        -------
        X_corrected : ndarray of shape (n_samples, n_features)
            A new array, of the dtype of ``X`` (float32 or float64).
        """
        check_is_fitted(self)
        X_checked = validate_data(self, X, reset=False, dtype=FLOATS)
        return X_checked - self._baselines(X_checked).astype(X_checked.dtype)

    def baselines(self, X: ArrayLike) -> np.ndarray:
        """The baseline of each spectrum, as pybaselines estimates it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra, one per row.

        Returns
        -------
        baselines : ndarray of shape (n_samples, n_features), float64
        """
        check_is_fitted(self)
        return self._baselines(validate_data(self, X, reset=False, dtype=FLOATS))

    def _baselines(self, X_checked: np.ndarray) -> np.ndarray:
        x_data = None if self.axis_ is None else self.axis_.values
        fitter = getattr(_baseline_class()(x_data=x_data), self.method)
        params = dict(self.params or {})
        out = np.empty(X_checked.shape, dtype=np.float64)
        for i, row in enumerate(X_checked):
            out[i] = fitter(row.astype(np.float64), **params)[0]
        return out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _check_method(self) -> None:
        valid = list_baseline_methods()
        if self.method not in valid:
            raise ValueError(
                f"`method` must be a pybaselines method, one of {', '.join(valid)}; "
                f"got {self.method!r}."
            )
        known = _method_parameters(self.method)
        for key in self.params or {}:
            if key not in known:
                raise ValueError(
                    f"`params` key {key!r} is not a parameter of pybaselines' "
                    f"{self.method}; its parameters are {', '.join(known)}."
                )
