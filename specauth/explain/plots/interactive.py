"""Interactive (bokeh) spectrum coloured by importance, saved as standalone HTML."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from specauth._lazy import import_optional
from specauth.explain.plots._checks import (
    as_curve,
    check_plot_options,
    check_same_length,
    plot_axis,
)
from specauth.explain.plots._segments import (
    column_rectangles,
    default_importance_label,
    importance_scale,
    point_polygons,
    point_segments,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    import bokeh.model
    import bokeh.plotting
    from numpy.typing import ArrayLike

    from specauth.axis import SpectralAxis

__all__ = ["bokeh_spectrum_importance", "save_html"]

_PURPOSE = "draw interactive plots (pip install 'specauth[explain]')"


def _bokeh(module):
    return import_optional(module, package="bokeh", purpose=_PURPOSE)


def _default_palette(style: str, signed: bool) -> list[str]:
    """Sequential light-to-dark red, or blue-white-red for signed importances.

    Like the matplotlib defaults ("YlOrRd", "RdBu_r"); "Viridis256" for
    ``style="line"`` (a pale line would not show).
    """
    palettes = _bokeh("bokeh.palettes")
    if style == "line":
        return list(palettes.Viridis256)
    base = palettes.RdBu[11] if signed else palettes.YlOrRd[9][::-1]
    return list(palettes.interp_palette(base, 255))


def _palette(palette, style, signed):
    """Return a list of colours from a bokeh palette name or a sequence."""
    if palette is None:
        return _default_palette(style, signed)
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


def _shapes(style: str, x: np.ndarray, y: np.ndarray, y_range: tuple[float, float]):
    """Per-point polygons (xs, ys lists) for the coloured glyph of ``style``."""
    if style == "band":
        shapes = point_polygons(x, y, y_range[0])
    elif style == "background":
        shapes = column_rectangles(x, *y_range)
    else:
        shapes = point_segments(x, y)
    return shapes[:, :, 0].tolist(), shapes[:, :, 1].tolist()


def _coloured(fig, style, source, mapper):
    """The glyph coloured by importance: patches, quads or a multi-line."""
    colour = {"field": "importance", "transform": mapper}
    if style == "line":
        return fig.multi_line(
            "xs", "ys", source=source, line_width=2, line_color=colour
        )
    return fig.patches(
        "xs", "ys", source=source, fill_color=colour, line_color=colour, line_width=1
    )


def bokeh_spectrum_importance(
    spectrum: ArrayLike,
    importance: ArrayLike,
    *,
    axis: SpectralAxis | ArrayLike | None = None,
    style: str = "band",
    signed: bool | None = None,
    importance_label: str | None = None,
    invert_x: bool | None = None,
    title: str | None = None,
    palette: str | Sequence[str] | None = None,
    width: int = 800,
    height: int = 400,
    energy: ArrayLike | None = None,
) -> bokeh.plotting.figure:
    """Interactive spectrum with its importance beneath it and a hover readout.

    The interactive twin of :func:`plot_spectrum_importance`: the spectrum is
    a black line over a band (or background, or coloured line) coloured
    point by point by the importance, on a diverging palette centred on zero
    for signed importances and a sequential one for non-negative ones, with
    a labelled colour bar. Hovering anywhere shows the axis value (with its
    unit), the intensity and the importance of the nearest point. Save it
    with :func:`save_html` to share a file that opens offline in any browser.

    Parameters
    ----------
    spectrum : array-like of shape (n_points,)
        Intensities.
    importance : array-like of shape (n_points,)
        Importance of every point.
    axis : SpectralAxis or array-like of shape (n_points,), default=None
        The x values; a :class:`specauth.axis.SpectralAxis` gives the label
        ("wavenumber (cm⁻¹)") and the direction. None: the channel index.
    style : {"band", "background", "line"}, default="band"
        As in :func:`plot_spectrum_importance`.
    signed : bool, default=None
        Signed importance: palette centred on 0 with symmetric ends
        ``±max|importance|``. None: signed if any value is < 0.
    importance_label : str, default=None
        Colour bar title and hover name; state the units (e.g. "SHAP value
        (model output units)"). None: as in :func:`plot_spectrum_importance`.
    invert_x : bool, default=None
        Draw x decreasing to the right; None: ``axis.decreasing_display``
        (True for wavenumbers).
    title : str, default=None
    palette : str or list of str, default=None
        A :mod:`bokeh.palettes` name or a list of colours, low to high
        importance. None: light-to-dark "YlOrRd" (signed: blue-white-red
        "RdBu"); "Viridis256" for ``style="line"``.
    width, height : int, default=800, 400
        Size in screen pixels.
    energy : array-like of shape (n_points,), default=None
        Deprecated alias of ``axis`` (values labelled "energy", no unit).

    Returns
    -------
    fig : bokeh.plotting.figure
        With a ``HoverTool`` (on the black line, in "vline" mode) and a
        ``ColorBar`` on the right.

    Raises
    ------
    ValueError
        If the inputs are not 1D, shorter than 2 points, hold NaN or
        infinity, differ in length, ``axis`` is not monotonic or ``style``
        unknown.
    ImportError
        If bokeh is not installed (``pip install 'specauth[explain]'``).

    See Also
    --------
    plot_spectrum_importance : the matplotlib version.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.axis import SpectralAxis
    >>> from specauth.explain.plots import bokeh_spectrum_importance
    >>> axis = SpectralAxis(np.linspace(4000, 400, 50), "wavenumber", "cm-1")
    >>> fig = bokeh_spectrum_importance(np.ones(50), np.linspace(-1, 1, 50), axis=axis)
    >>> fig.xaxis[0].axis_label, fig.x_range.start > fig.x_range.end
    ('wavenumber (cm⁻¹)', True)
    """
    check_plot_options(style, signed, invert_x)
    y = as_curve(spectrum, "spectrum", min_length=2)
    weights = as_curve(importance, "importance", min_length=2)
    check_same_length(y, weights, "spectrum", "importance")
    x = plot_axis(axis, y.size, energy=energy)
    scale = importance_scale(weights, signed)
    label = importance_label or default_importance_label(weights, scale.signed)
    models = _bokeh("bokeh.models")
    mapper = models.LinearColorMapper(
        palette=_palette(palette, style, scale.signed), low=scale.vmin, high=scale.vmax
    )
    span = float(np.ptp(y)) or 1.0
    y_range = (float(y.min()) - 0.05 * span, float(y.max()) + 0.08 * span)
    xs, ys = _shapes(style, x.values, y, y_range)
    source = models.ColumnDataSource(
        {"xs": xs, "ys": ys, "x": x.values, "value": y, "importance": weights}
    )
    low, high = float(x.values.min()), float(x.values.max())
    decreasing = x.decreasing if invert_x is None else invert_x
    fig = _bokeh("bokeh.plotting").figure(
        width=int(width),
        height=int(height),
        title=title,
        x_axis_label=x.label,
        y_axis_label="intensity",
        x_range=models.Range1d(*((high, low) if decreasing else (low, high))),
        y_range=models.Range1d(*y_range),
        tools="pan,wheel_zoom,box_zoom,reset,save",
    )
    _coloured(fig, style, source, mapper)
    trace = fig.line(
        "x",
        "value",
        source=source,
        color="black",
        line_width=1.5,
        line_alpha=0.0 if style == "line" else 1.0,
    )
    fig.add_tools(
        models.HoverTool(
            renderers=[trace],
            mode="vline",
            tooltips=[
                (x.label, "@x{0.[000]}"),
                ("intensity", "@value{0.[000]}"),
                (label, "@importance{0.[000]}"),
            ],
        )
    )
    fig.add_layout(models.ColorBar(color_mapper=mapper, title=label), "right")
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
