"""A spectrum drawn as a line coloured by the importance of each point."""

from __future__ import annotations

from typing import TYPE_CHECKING

from specauth._lazy import import_optional
from specauth.explain.plots._checks import (
    as_axis,
    as_curve,
    check_same_length,
    new_axes,
)
from specauth.explain.plots._segments import point_segments

if TYPE_CHECKING:
    import matplotlib.axes
    import matplotlib.colors
    from numpy.typing import ArrayLike

__all__ = ["plot_spectrum_importance"]


def plot_spectrum_importance(
    spectrum: ArrayLike,
    importance: ArrayLike,
    *,
    energy: ArrayLike | None = None,
    ax: matplotlib.axes.Axes | None = None,
    cmap: str | matplotlib.colors.Colormap = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar: bool = True,
    linewidth: float = 1.5,
    xlabel: str | None = None,
    title: str | None = None,
) -> matplotlib.axes.Axes:
    """Plot a spectrum as a line coloured by the importance of each point.

    The line is a :class:`matplotlib.collections.LineCollection` with one
    piece per point (from the midpoint with the previous point to the
    midpoint with the next), whose colour is that point's importance, e.g. a
    class activation map from :meth:`specauth.explain.CAM1D.explain`.

    Parameters
    ----------
    spectrum : array-like of shape (n_points,)
        Intensities (a column ``(n_points, 1)`` is accepted too).
    importance : array-like of shape (n_points,)
        Importance of every point; any real scale.
    energy : array-like of shape (n_points,), default=None
        x values (energy, 2-theta, wavenumber...), strictly monotonic. None:
        the channel index ``0 .. n_points - 1``.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure when None.
    cmap : str or matplotlib colormap, default="viridis"
        Colormap of the importance.
    vmin, vmax : float, default=None
        Importance mapped to the ends of the colormap; the importance's
        minimum and maximum when None.
    colorbar : bool, default=True
        Add a colorbar labelled "importance".
    linewidth : float, default=1.5
    xlabel : str, default=None
        x label; "energy" with ``energy``, else "channel".
    title : str, default=None

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes; ``ax.collections[-1]`` is the line collection, whose
        ``get_array()`` is the importance.

    Raises
    ------
    ValueError
        If an input is not 1D, is empty or shorter than 2 points, holds NaN or
        infinity, the lengths differ, or ``energy`` is not monotonic.

    See Also
    --------
    specauth.explain.plots.bokeh_spectrum_importance : the interactive version.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.explain.plots import plot_spectrum_importance
    >>> x = np.linspace(0, 1, 50)
    >>> ax = plot_spectrum_importance(np.sin(6 * x), x, energy=100 * x)
    >>> type(ax).__name__, ax.get_xlabel()
    ('Axes', 'energy')
    """
    y = as_curve(spectrum, "spectrum", min_length=2)
    weights = as_curve(importance, "importance", min_length=2)
    check_same_length(y, weights, "spectrum", "importance")
    x = as_axis(energy, y.size)
    ax = new_axes(ax)
    collections = import_optional("matplotlib.collections", package="matplotlib")
    line = collections.LineCollection(
        point_segments(x, y), cmap=cmap, linewidths=linewidth
    )
    line.set_array(weights)
    line.set_clim(
        weights.min() if vmin is None else vmin,
        weights.max() if vmax is None else vmax,
    )
    ax.add_collection(line, autolim=True)
    ax.autoscale_view()
    if colorbar:
        ax.figure.colorbar(line, ax=ax, label="importance")
    ax.set_xlabel(xlabel or ("energy" if energy is not None else "channel"))
    ax.set_ylabel("intensity")
    if title is not None:
        ax.set_title(title)
    return ax
