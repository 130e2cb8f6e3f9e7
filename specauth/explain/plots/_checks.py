"""Input checks and axes creation shared by the plot functions.

matplotlib is imported inside the functions that need it, so importing this
module (and :mod:`specauth.explain.plots`) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
