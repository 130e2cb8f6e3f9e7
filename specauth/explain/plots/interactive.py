"""Interactive (bokeh) spectrum coloured by importance, saved as standalone HTML."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from specauth._lazy import import_optional
from specauth.explain.plots._checks import as_axis, as_curve, check_same_length
from specauth.explain.plots._segments import point_segments

if TYPE_CHECKING:
    from collections.abc import Sequence

    import bokeh.model
    import bokeh.plotting
    from numpy.typing import ArrayLike

__all__ = ["bokeh_spectrum_importance", "save_html"]

_PURPOSE = "draw interactive plots (pip install 'specauth[explain]')"


def _bokeh(module):
    return import_optional(module, package="bokeh", purpose=_PURPOSE)


def _palette(palette):
    """Return a list of colours from a bokeh palette name or a sequence."""
    if isinstance(palette, str):
        colours = getattr(_bokeh("bokeh.palettes"), palette, None)
        if not isinstance(colours, (list, tuple)) or not colours:
            raise ValueError(
                "`palette` must be the name of a bokeh palette (e.g. 'Viridis256', "
                f"'Inferno256') or a list of colours; got {palette!r}."
            )
        return list(colours)
    colours = list(palette) if isinstance(palette, (list, tuple)) else []
    if len(colours) < 2:
        raise ValueError(
            "`palette` must name a bokeh palette or list >= 2 colours; got "
            f"{palette!r}."
        )
    return colours


def bokeh_spectrum_importance(
    spectrum: ArrayLike,
    importance: ArrayLike,
    *,
    energy: ArrayLike | None = None,
    title: str | None = None,
    palette: str | Sequence[str] = "Viridis256",
    width: int = 800,
    height: int = 400,
) -> bokeh.plotting.figure:
    """Interactive spectrum coloured by importance, with a hover readout.

    Every point of the spectrum is one short polyline (from the midpoint with
    the previous point to the midpoint with the next) coloured by its
    importance; hovering it shows the energy (or channel), the value and the
    importance. Save it with :func:`save_html` to share a file that opens
    offline in any browser.

    Parameters
    ----------
    spectrum : array-like of shape (n_points,)
        Intensities.
    importance : array-like of shape (n_points,)
        Importance of every point.
    energy : array-like of shape (n_points,), default=None
        x values, strictly monotonic; the channel index when None.
    title : str, default=None
    palette : str or list of str, default="Viridis256"
        A :mod:`bokeh.palettes` name or a list of colours, low to high
        importance.
    width, height : int, default=800, 400
        Size in screen pixels.

    Returns
    -------
    fig : bokeh.plotting.figure
        With a ``HoverTool`` and a ``ColorBar`` on the right.

    Raises
    ------
    ValueError
        If the inputs are not 1D, shorter than 2 points, hold NaN or
        infinity, differ in length, or ``energy`` is not monotonic.
    ImportError
        If bokeh is not installed (``pip install 'specauth[explain]'``).

    See Also
    --------
    plot_spectrum_importance : the matplotlib version.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.explain.plots import bokeh_spectrum_importance
    >>> x = np.linspace(0, 1, 50)
    >>> fig = bokeh_spectrum_importance(np.sin(6 * x), x, energy=100 * x)
    >>> fig.xaxis[0].axis_label
    'energy'
    """
    y = as_curve(spectrum, "spectrum", min_length=2)
    weights = as_curve(importance, "importance", min_length=2)
    check_same_length(y, weights, "spectrum", "importance")
    x = as_axis(energy, y.size)
    colours = _palette(palette)
    plotting = _bokeh("bokeh.plotting")
    models = _bokeh("bokeh.models")
    pieces = point_segments(x, y)
    source = models.ColumnDataSource(
        {
            "xs": [list(p) for p in pieces[:, :, 0]],
            "ys": [list(p) for p in pieces[:, :, 1]],
            "x": x,
            "value": y,
            "importance": weights,
        }
    )
    low, high = float(weights.min()), float(weights.max())
    mapper = models.LinearColorMapper(
        palette=colours, low=low, high=high if high > low else low + 1.0
    )
    xname = "energy" if energy is not None else "channel"
    fig = plotting.figure(
        width=int(width),
        height=int(height),
        title=title,
        x_axis_label=xname,
        y_axis_label="intensity",
        tools="pan,wheel_zoom,box_zoom,reset,save",
    )
    lines = fig.multi_line(
        "xs",
        "ys",
        source=source,
        line_width=2,
        line_color={"field": "importance", "transform": mapper},
    )
    hover = models.HoverTool(
        renderers=[lines],
        tooltips=[
            (xname, "@x{0.[000]}"),
            ("value", "@value{0.[000]}"),
            ("importance", "@importance{0.[000]}"),
        ],
    )
    fig.add_tools(hover)
    fig.add_layout(
        models.ColorBar(color_mapper=mapper, title="importance"),
        "right",
    )
    return fig


def save_html(
    fig: bokeh.model.Model, path: str | os.PathLike[str], *, title: str = "specauth"
) -> Path:
    """Write a bokeh figure to a standalone HTML file that works offline.

    The bokeh JavaScript is inlined (``bokeh.resources.INLINE``), so the file
    needs no internet connection (a CDN link would not load offline).

    Parameters
    ----------
    fig : bokeh model
        E.g. the figure from :func:`bokeh_spectrum_importance`.
    path : str or path-like
        Output file, usually ending in ``.html``; its folder must exist.
    title : str, default="specauth"
        Title of the HTML page.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    TypeError
        If ``fig`` is not a bokeh model or ``path`` not a path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from specauth.explain.plots import bokeh_spectrum_importance, save_html
    >>> fig = bokeh_spectrum_importance([1, 3, 2, 5], [0, 1, 0.5, 2])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = save_html(fig, pathlib.Path(tmp) / "spectrum.html")
    ...     "<html" in out.read_text(encoding="utf-8")
    True
    """
    model = _bokeh("bokeh.model")
    if not isinstance(fig, model.Model):
        raise TypeError(
            f"`fig` must be a bokeh figure or model; got {type(fig).__name__}."
        )
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"`path` must be a str or path-like; got {type(path).__name__}."
        )
    embed = _bokeh("bokeh.embed")
    resources = _bokeh("bokeh.resources")
    attached = fig.document
    html = embed.file_html(fig, resources.INLINE, title=str(title))
    if attached is None and fig.document is not None:
        # file_html puts a free figure into a document of its own and leaves
        # it there; detach it, so that the caller can still show() it.
        fig.document.remove_root(fig)
    out = Path(path)
    out.write_text(html, encoding="utf-8")
    return out
