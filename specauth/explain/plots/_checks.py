"""Input checks and axes creation shared by the plot functions.

matplotlib is imported inside the functions that need it, so importing this
module (and :mod:`specauth.explain.plots`) stays light.
"""

from __future__ import annotations

import warnings
from numbers import Integral
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from specauth._lazy import import_optional

if TYPE_CHECKING:
    from collections.abc import Sized

    import matplotlib.axes
    from numpy.typing import ArrayLike

__all__ = [
    "check_finite",
    "as_curve",
    "as_axis",
    "PlotAxis",
    "plot_axis",
    "as_rows",
    "STYLES",
    "check_plot_options",
    "as_labels",
    "check_same_length",
    "check_axes",
    "new_axes",
]


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise a ``ValueError`` naming ``name`` if ``arr`` holds NaN or infinity."""
    # Imported here: specauth._validation loads scikit-learn.
    from specauth._validation import check_finite as _check_finite

    _check_finite(arr, name)


def as_curve(values: ArrayLike, name: str, *, min_length: int = 1) -> np.ndarray:
    """Return ``values`` as a finite 1D float64 array (copied, never the input).

    A column ``(n, 1)`` (one spectrum of a 3D batch) is accepted and flattened.
    """
    # Imported here: specauth._validation loads scikit-learn.
    from specauth._validation import check_array_1d

    return check_array_1d(name, values, min_length=min_length, column=True)


def check_same_length(a: Sized, b: Sized, name_a: str, name_b: str) -> None:
    """Raise a ``ValueError`` if ``a`` and ``b`` differ in length."""
    if len(a) != len(b):
        raise ValueError(
            f"`{name_a}` and `{name_b}` must have the same length; got "
            f"{len(a)} and {len(b)}."
        )


def as_axis(
    energy: ArrayLike | None, n_points: int, name: str = "energy"
) -> np.ndarray:
    """Return the x values: ``energy`` checked, or the channel index when None."""
    if energy is None:
        return np.arange(n_points, dtype=np.float64)
    x = as_curve(energy, name)
    if x.size != n_points:
        raise ValueError(
            f"`{name}` must have one value per point of the spectrum ({n_points}); "
            f"got {x.size}."
        )
    steps = np.diff(x)
    if x.size > 1 and not (np.all(steps > 0) or np.all(steps < 0)):
        raise ValueError(
            f"`{name}` must be strictly increasing or strictly decreasing; got "
            "repeated values or a change of direction."
        )
    return x


#: How an importance plot colours the spectrum (see plot_spectrum_importance).
STYLES = ("band", "background", "line")


def check_plot_options(
    style: object, signed: object, invert_x: object, top_k: object = 0
) -> None:
    """Check the options shared by the importance plots (TypeError/ValueError)."""
    # Imported here: specauth._validation loads scikit-learn.
    from specauth._validation import Interval, check_bool, check_choice, check_scalar

    check_choice("style", style, STYLES)
    check_bool("signed", signed, allow_none=True)
    check_bool("invert_x", invert_x, allow_none=True)
    check_scalar("top_k", top_k, Interval(Integral, 0, None))


class PlotAxis(NamedTuple):
    """The x axis of a spectrum plot: values, label, unit and direction."""

    values: np.ndarray
    label: str
    unit: str | None
    decreasing: bool


def plot_axis(
    axis: Any,
    n_points: int,
    *,
    energy: ArrayLike | None = None,
    xlabel: str | None = None,
) -> PlotAxis:
    """Resolve the ``axis`` (or deprecated ``energy``) argument of a plot.

    ``axis`` is a :class:`specauth.axis.SpectralAxis`, axis values (labelled
    "x") or None (the channel index, labelled "channel"); ``xlabel`` replaces
    the label. ``energy`` gives the values of an axis labelled "energy",
    without a unit, and warns that it is deprecated.
    """
    if energy is not None:
        if axis is not None:
            raise TypeError(
                "Give the x values as `axis` only; `energy` is its deprecated "
                "alias and both were given."
            )
        warnings.warn(
            "`energy` is deprecated; pass `axis` instead, e.g. "
            "axis=SpectralAxis(energy, 'energy', 'keV'), so that the x label "
            "and the annotations carry the unit.",
            DeprecationWarning,
            stacklevel=3,
        )
        return PlotAxis(as_axis(energy, n_points), xlabel or "energy", None, False)
    if axis is None:
        values = np.arange(n_points, dtype=np.float64)
        return PlotAxis(values, xlabel or "channel", None, False)
    # Imported here: specauth.axis is light, but keep the import local like
    # the other checks.
    from specauth.axis import as_spectral_axis

    spectral = as_spectral_axis(axis, n_points, name="axis")
    if spectral is None:  # pragma: no cover - None was handled above
        raise ValueError("`axis` must not be None here.")
    values = np.array(spectral.values, dtype=np.float64)
    label = xlabel or spectral.label
    return PlotAxis(values, label, spectral.unit, spectral.decreasing_display)


def as_rows(values: ArrayLike, name: str, *, min_length: int = 2) -> np.ndarray:
    """Return ``values`` as a new finite 2D float64 array, one row per curve.

    A 1D array is one row.
    """
    # Imported here: specauth._validation loads scikit-learn.
    from specauth._validation import check_spectra

    arr = check_spectra(
        values,
        name=name,
        ndim=(1, 2),
        min_length=min_length,
        dtype=np.float64,
        copy=True,
    )
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.shape[1] < min_length:
        raise ValueError(
            f"`{name}` must have at least {min_length} points per row; got shape "
            f"{np.shape(values)}."
        )
    return arr


def as_labels(values: ArrayLike, name: str, n: int) -> list[Any]:
    """Return ``values`` as a list of ``n`` labels."""
    arr = np.asarray(values, dtype=object)
    if arr.ndim != 1 or arr.size != n:
        raise ValueError(
            f"`{name}` must be a 1D sequence of {n} labels; got shape {arr.shape}."
        )
    return [v.item() if isinstance(v, np.generic) else v for v in arr]


def check_axes(ax: Any, name: str = "ax") -> matplotlib.axes.Axes:
    """Raise a ``TypeError`` unless ``ax`` is a matplotlib ``Axes``."""
    axes_module = import_optional("matplotlib.axes", package="matplotlib")
    if not isinstance(ax, axes_module.Axes):
        raise TypeError(
            f"`{name}` must be a matplotlib Axes or None; got {type(ax).__name__}."
        )
    return ax


def new_axes(
    ax: matplotlib.axes.Axes | None, **subplots_options: Any
) -> matplotlib.axes.Axes:
    """Return ``ax`` after checking it, or the axes of a new pyplot figure."""
    if ax is not None:
        return check_axes(ax)
    plt = import_optional("matplotlib.pyplot", package="matplotlib", purpose="plot")
    _, ax = plt.subplots(**subplots_options)
    return ax
