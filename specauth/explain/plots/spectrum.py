"""A spectrum with the importance of each point drawn beneath it, for papers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specauth._lazy import import_optional
from specauth.explain.plots._checks import (
    as_curve,
    as_rows,
    check_plot_options,
    check_same_length,
    new_axes,
    plot_axis,
)
from specauth.explain.plots._segments import (
    column_rectangles,
    default_importance_label,
    importance_scale,
    point_polygons,
    point_segments,
    region_text,
    stack_labels,
    top_regions,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    import matplotlib.axes
    import matplotlib.cm
    import matplotlib.colors
    import matplotlib.figure
    from numpy.typing import ArrayLike

    from specauth.axis import SpectralAxis
    from specauth.explain.plots._checks import PlotAxis

__all__ = ["plot_spectrum_importance", "plot_importance_panels"]

# Default colormaps: (style "line", other styles) x (not signed, signed).
_CMAPS = {False: ("viridis", "YlOrRd"), True: ("coolwarm", "RdBu_r")}
_LABEL_FONTSIZE = 8.0
_LABEL_GAP = 3.0  # points between a curve and its annotation
_LEADER = {"arrowstyle": "-", "color": "0.4", "lw": 0.6, "shrinkA": 0, "shrinkB": 1}


def _norm(
    weights: np.ndarray, signed: bool | None, vmin: float | None, vmax: float | None
) -> matplotlib.colors.Normalize:
    """Zero-centred (``TwoSlopeNorm``) for signed importances, else linear."""
    colors = import_optional("matplotlib.colors", package="matplotlib")
    scale = importance_scale(weights, signed, vmin, vmax)
    if scale.signed:
        return colors.TwoSlopeNorm(vcenter=0.0, vmin=scale.vmin, vmax=scale.vmax)
    return colors.Normalize(vmin=scale.vmin, vmax=scale.vmax)


def _is_signed(norm: matplotlib.colors.Normalize) -> bool:
    colors = import_optional("matplotlib.colors", package="matplotlib")
    return isinstance(norm, colors.TwoSlopeNorm)


def _draw(
    ax: matplotlib.axes.Axes,
    x: PlotAxis,
    y: np.ndarray,
    weights: np.ndarray,
    *,
    style: str,
    norm: matplotlib.colors.Normalize,
    cmap: str | matplotlib.colors.Colormap | None,
    linewidth: float | None,
    baseline: float | None,
) -> matplotlib.cm.ScalarMappable:
    """Draw one spectrum and its importance; return the coloured collection."""
    collections = import_optional("matplotlib.collections", package="matplotlib")
    cmap = cmap or _CMAPS[_is_signed(norm)][style != "line"]
    span = float(np.ptp(y)) or 1.0
    low = float(y.min()) - 0.05 * span if baseline is None else float(baseline)
    if style == "line":
        coloured = collections.LineCollection(
            point_segments(x.values, y), linewidths=linewidth or 1.5, capstyle="round"
        )
    else:
        shapes = (
            point_polygons(x.values, y, low)
            if style == "band"
            else column_rectangles(x.values, 0.0, 1.0)
        )
        coloured = collections.PolyCollection(
            shapes, linewidths=0, antialiaseds=False, zorder=1
        )
        if style == "background":  # light enough for the line to read on it
            coloured.set_transform(ax.get_xaxis_transform())
            coloured.set_alpha(0.7)
    coloured.set_array(weights)
    coloured.set_cmap(cmap)
    coloured.set_norm(norm)
    ax.add_collection(coloured, autolim=style != "background")
    if style != "line":
        ax.plot(x.values, y, color="black", linewidth=linewidth or 1.0, zorder=2)
    ax.set_ylim(min(low, float(y.min())), float(y.max()) + 0.05 * span)
    return coloured


def _orient(ax: matplotlib.axes.Axes, x: PlotAxis, invert_x: bool | None) -> None:
    """Draw the x axis decreasing to the right for wavenumbers (or if asked)."""
    decreasing = x.decreasing if invert_x is None else invert_x
    low, high = float(x.values.min()), float(x.values.max())
    ax.set_xlim((high, low) if decreasing else (low, high))


def _annotate(
    ax: matplotlib.axes.Axes, x: PlotAxis, y: np.ndarray, weights: np.ndarray, k: int
) -> None:
    """Write the axis values of the ``k`` most important regions above them.

    Each label sits over the highest point of the curve beneath its own
    width; labels that would overlap are stacked, joined to their peak by a
    thin line, and the upper y limit is raised to make room for them.
    """
    regions = top_regions(weights, k)
    if not regions:
        return
    figure = ax.figure
    engine = figure.get_layout_engine()
    if engine is not None and hasattr(figure, "savefig"):  # a Figure, no SubFigure
        engine.execute(figure)  # type: ignore[arg-type]  # place on the final size
    texts = [region_text(x.values, r, x.unit) for r in regions]
    scale = figure.dpi / 72  # pixels per point
    widths = np.array([0.62 * _LABEL_FONTSIZE * len(t) * scale for t in texts])
    height, gap = 1.35 * _LABEL_FONTSIZE * scale, _LABEL_GAP * scale
    middles = [(r.start + r.stop) // 2 for r in regions]
    peaks = np.column_stack([x.values[middles], y[middles]])
    for _ in range(2):  # raise the top, then place again on the new scale
        centres, tops = _label_columns(ax, x.values, y, peaks[:, 0], widths)
        anchors = np.column_stack([centres, ax.transData.transform(tops)[:, 1]])
        rows = stack_labels(anchors, widths, height, gap)
        _make_room(ax, tops[:, 1], [gap + (r + 1) * height for r in rows])
    centres, tops = _label_columns(ax, x.values, y, peaks[:, 0], widths)
    peak_px = ax.transData.transform(peaks)
    top_px = ax.transData.transform(tops)[:, 1]
    for i, text in enumerate(texts):
        rise = top_px[i] - peak_px[i, 1] + gap + rows[i] * height
        ax.annotate(
            text,
            xy=tuple(peaks[i]),
            xytext=((centres[i] - peak_px[i, 0]) / scale, rise / scale),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=_LABEL_FONTSIZE,
            color="0.1",
            bbox={
                "boxstyle": "round,pad=0.1",
                "fc": "white",
                "ec": "none",
                "alpha": 0.8,
            },
            arrowprops=_LEADER if rise > 1.5 * gap else None,
            zorder=3,
        )


def _label_columns(
    ax: matplotlib.axes.Axes,
    values: np.ndarray,
    y: np.ndarray,
    peaks: np.ndarray,
    widths: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Label centres (pixels, kept inside the axes) and the data point under each.

    The point under a label is the highest point of the curve within the
    label's width (data coordinates, shape ``(n_labels, 2)``).
    """
    box = ax.get_window_extent()
    px = ax.transData.transform(np.column_stack([values, y]))[:, 0]
    peak_px = ax.transData.transform(np.column_stack([peaks, np.zeros_like(peaks)]))
    peak_px = peak_px[:, 0]
    centres = np.clip(peak_px, box.x0 + widths / 2, box.x1 - widths / 2)
    tops = []
    for peak, centre, width in zip(peaks, centres, widths, strict=True):
        under = np.abs(px - centre) <= width / 2
        nearest = int(np.argmin(np.abs(values - peak)))
        tops.append((peak, max(y[under].max(initial=y[nearest]), y[nearest])))
    return centres, np.array(tops)


def _make_room(ax: matplotlib.axes.Axes, tops: np.ndarray, above: list[float]) -> None:
    """Raise the upper y limit so that ``above`` pixels fit over each of ``tops``."""
    low, high = ax.get_ylim()
    room = 0.9 * ax.get_window_extent().height
    needed = [
        (top - low) * room / max(room - extra, 0.25 * room) / 0.9
        for top, extra in zip(tops, above, strict=True)
    ]
    ax.set_ylim(low, max(high, low + max(needed)))


def _finish(
    ax: matplotlib.axes.Axes,
    x: PlotAxis,
    *,
    ylabel: str | None,
    title: str | None,
    invert_x: bool | None,
) -> None:
    _orient(ax, x, invert_x)
    ax.set_xlabel(x.label)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)


def plot_spectrum_importance(
    spectrum: ArrayLike,
    importance: ArrayLike,
    *,
    axis: SpectralAxis | ArrayLike | None = None,
    style: str = "band",
    signed: bool | None = None,
    top_k: int = 3,
    importance_label: str | None = None,
    invert_x: bool | None = None,
    ax: matplotlib.axes.Axes | None = None,
    cmap: str | matplotlib.colors.Colormap | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar: bool = True,
    baseline: float | None = None,
    linewidth: float | None = None,
    xlabel: str | None = None,
    ylabel: str | None = "intensity",
    title: str | None = None,
    energy: ArrayLike | None = None,
) -> matplotlib.axes.Axes:
    """Plot a spectrum with the importance of every point drawn beneath it.

    The spectrum is a black line; the importance (e.g. a class activation map
    from :meth:`specauth.explain.CAM1D.explain` or SHAP values from
    :meth:`specauth.explain.ShapExplainer.explain`) colours, point by point,
    the band between the line and a baseline (``style="band"``) or the whole
    height of the plot (``style="background"``), so that flat important
    regions show as well as peaks. Signed importances are drawn with a
    diverging colormap centred on zero, non-negative ones with a sequential
    colormap starting at zero. The ``top_k`` most important regions are
    labelled with their axis values, and the x axis is the physical axis,
    drawn decreasing to the right for wavenumbers.

    Parameters
    ----------
    spectrum : array-like of shape (n_points,)
        Intensities (a column ``(n_points, 1)`` is accepted too).
    importance : array-like of shape (n_points,)
        Importance of every point, on any scale.
    axis : SpectralAxis or array-like of shape (n_points,), default=None
        The x values. A :class:`specauth.axis.SpectralAxis` gives the x label
        (``axis.label``, e.g. "wavenumber (cm⁻¹)"), the unit of the
        annotations and the direction; plain values are labelled "x". None:
        the channel index ``0 .. n_points - 1``, labelled "channel".
    style : {"band", "background", "line"}, default="band"
        ``"band"``: colour the area between ``baseline`` and the spectrum;
        ``"background"``: colour the full height behind the spectrum;
        ``"line"``: colour the line itself (no band).
    signed : bool, default=None
        Whether the importance is signed (SHAP values, HiResCAM): a diverging
        colormap and a ``TwoSlopeNorm`` centred on 0, symmetric
        (``-max|importance| .. max|importance|``) unless ``vmin``/``vmax`` are
        given. False: a sequential colormap from ``min(0, min importance)``
        to the maximum (CAM, Grad-CAM). None: signed if any value is < 0.
    top_k : int, default=3
        Number of regions of largest ``|importance|`` labelled with their
        axis values ("1650 cm⁻¹", or "1601–1688 cm⁻¹" for a wide region): a
        region is a peak of ``|importance|`` (rising at least a tenth of the
        largest value above its surroundings) with the points around it
        above half that rise; touching regions of the same sign are merged.
        Labels that would overlap are stacked. 0: no labels.
    importance_label : str, default=None
        Colour bar label; state the units, e.g. "SHAP value (model output
        units)". None: "signed importance" for signed input, "relative
        importance (max = 1)" for a non-negative map whose maximum is 1,
        else "importance".
    invert_x : bool, default=None
        Draw the x axis decreasing to the right. None: as
        ``axis.decreasing_display`` says (True for wavenumbers).
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure when None.
    cmap : str or matplotlib colormap, default=None
        Colormap of the importance. None: "YlOrRd" (signed: "RdBu_r"); for
        ``style="line"`` "viridis" (signed: "coolwarm").
    vmin, vmax : float, default=None
        Importance at the ends of the colormap (see ``signed``).
    colorbar : bool, default=True
        Add a colour bar labelled ``importance_label``.
    baseline : float, default=None
        Bottom of the band. None: 5 % of the intensity range below the lowest
        point, which is also the lower y limit, so that every point has a
        visible strip of colour.
    linewidth : float, default=None
        Width of the spectrum's line; None: 1.0 (1.5 for ``style="line"``).
    xlabel : str, default=None
        Replaces the x label given by ``axis``.
    ylabel : str, default="intensity"
    title : str, default=None
    energy : array-like of shape (n_points,), default=None
        Deprecated alias of ``axis`` (values labelled "energy", no unit).

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes; ``ax.collections[0]`` is the coloured collection (a
        ``PolyCollection`` of one polygon per point for "band" and
        "background", a ``LineCollection`` for "line") whose ``get_array()``
        is the importance and ``norm`` its colour scale; the labels are
        ``ax.texts``.

    Raises
    ------
    ValueError
        If an input is not 1D, shorter than 2 points, holds NaN or infinity,
        the lengths differ, ``axis`` is not strictly monotonic, ``style`` is
        unknown or ``vmin``/``vmax`` do not suit the scale.
    TypeError
        If ``ax`` is not an Axes, ``top_k`` not an int, ``signed`` or
        ``invert_x`` not a bool or None, or both ``axis`` and ``energy`` are
        given.

    See Also
    --------
    plot_importance_panels : several spectra or classes on one colour scale.
    specauth.explain.plots.bokeh_spectrum_importance : the interactive version.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.axis import SpectralAxis
    >>> from specauth.explain.plots import plot_spectrum_importance
    >>> axis = SpectralAxis(np.linspace(4000, 400, 200), "wavenumber", "cm-1")
    >>> peak = np.exp(-(((axis.values - 1650) / 40) ** 2))
    >>> ax = plot_spectrum_importance(1 + peak, peak, axis=axis, top_k=1)
    >>> ax.get_xlabel(), tuple(float(v) for v in ax.get_xlim())
    ('wavenumber (cm⁻¹)', (4000.0, 400.0))
    >>> [t.get_text() for t in ax.texts]
    ['1630–1666 cm⁻¹']
    """
    check_plot_options(style, signed, invert_x, top_k)
    y = as_curve(spectrum, "spectrum", min_length=2)
    weights = as_curve(importance, "importance", min_length=2)
    check_same_length(y, weights, "spectrum", "importance")
    x = plot_axis(axis, y.size, energy=energy, xlabel=xlabel)
    ax = new_axes(ax)
    norm = _norm(weights, signed, vmin, vmax)
    coloured = _draw(
        ax,
        x,
        y,
        weights,
        style=style,
        norm=norm,
        cmap=cmap,
        linewidth=linewidth,
        baseline=baseline,
    )
    _finish(ax, x, ylabel=ylabel, title=title, invert_x=invert_x)
    if colorbar:
        label = importance_label or default_importance_label(weights, _is_signed(norm))
        ax.figure.colorbar(coloured, ax=ax, label=label, pad=0.02)
    _annotate(ax, x, y, weights, top_k)
    return ax


def _panel_rows(
    spectra: ArrayLike, importances: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """One spectrum per importance row: a single spectrum is repeated."""
    y = as_rows(spectra, "spectra")
    weights = as_rows(importances, "importances")
    if y.shape[1] != weights.shape[1]:
        raise ValueError(
            "`spectra` and `importances` must have the same number of points "
            f"(columns); got {y.shape[1]} and {weights.shape[1]}."
        )
    if y.shape[0] == 1:
        y = np.repeat(y, weights.shape[0], axis=0)
    if y.shape[0] != weights.shape[0]:
        raise ValueError(
            "`importances` must have one row per spectrum (or `spectra` be one "
            f"spectrum); got {y.shape[0]} spectra and {weights.shape[0]} rows."
        )
    return y, weights


def plot_importance_panels(
    spectra: ArrayLike,
    importances: ArrayLike,
    *,
    axis: SpectralAxis | ArrayLike | None = None,
    titles: Sequence[str] | None = None,
    style: str = "band",
    signed: bool | None = None,
    shared_scale: bool = True,
    top_k: int = 3,
    importance_label: str | None = None,
    invert_x: bool | None = None,
    cmap: str | matplotlib.colors.Colormap | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    figsize: tuple[float, float] | None = None,
    ylabel: str | None = "intensity",
) -> matplotlib.figure.Figure:
    """Stack several explained spectra, or several classes of one, to compare.

    One panel per importance row, all sharing the x axis and -- with
    ``shared_scale`` -- one colour scale and one colour bar, so that equal
    colours mean equal importance in every panel. Each panel is drawn as by
    :func:`plot_spectrum_importance`.

    Parameters
    ----------
    spectra : array-like of shape (n_panels, n_points) or (n_points,)
        The spectra; a single spectrum is drawn in every panel (e.g. with the
        importance for each class).
    importances : array-like of shape (n_panels, n_points) or (n_points,)
        The importance drawn in each panel.
    axis : SpectralAxis or array-like of shape (n_points,), default=None
        The x values, as in :func:`plot_spectrum_importance`.
    titles : sequence of str, default=None
        One title per panel (e.g. the class names).
    style : {"band", "background", "line"}, default="band"
    signed : bool, default=None
        As in :func:`plot_spectrum_importance`; None: signed if any panel has
        a value < 0.
    shared_scale : bool, default=True
        One colour scale for all panels (from all their importances) and one
        colour bar. False: each panel its own scale and colour bar.
    top_k : int, default=3
        Regions labelled in each panel.
    importance_label : str, default=None
        Colour bar label (see :func:`plot_spectrum_importance`).
    invert_x : bool, default=None
    cmap : str or matplotlib colormap, default=None
    vmin, vmax : float, default=None
    figsize : (float, float), default=None
        None: 7 inches wide, 1.9 inches per panel.
    ylabel : str, default="intensity"

    Returns
    -------
    fig : matplotlib.figure.Figure
        ``fig.axes[:n_panels]`` are the panels (top to bottom), then the
        colour bar(s).

    Raises
    ------
    ValueError
        If the rows differ in length, their numbers do not match, ``titles``
        has not one entry per panel, or a value is NaN or infinite.

    See Also
    --------
    plot_spectrum_importance : one spectrum.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.explain.plots import plot_importance_panels
    >>> x = np.linspace(0, 1, 100)
    >>> maps = np.stack([np.exp(-((x - c) / 0.05) ** 2) for c in (0.3, 0.7)])
    >>> fig = plot_importance_panels(np.sin(6 * x) + 2, 0.5 * maps, titles=["a", "b"])
    >>> [ax.get_title() for ax in fig.axes[:2]], len(fig.axes)
    (['a', 'b'], 3)
    >>> fig.axes[0].collections[0].norm is fig.axes[1].collections[0].norm
    True
    """
    check_plot_options(style, signed, invert_x, top_k)
    from specauth._validation import check_bool

    check_bool("shared_scale", shared_scale)
    y, weights = _panel_rows(spectra, importances)
    x = plot_axis(axis, y.shape[1])
    n = y.shape[0]
    names = [None] * n if titles is None else list(titles)
    if len(names) != n:
        raise ValueError(
            f"`titles` must have one entry per panel ({n}); got {len(names)}."
        )
    plt = import_optional("matplotlib.pyplot", package="matplotlib", purpose="plot")
    fig = plt.figure(figsize=figsize or (7.0, 1.9 * n + 0.6), layout="constrained")
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    shared = _norm(weights.ravel(), signed, vmin, vmax)
    for i, ax in enumerate(axes):
        norm = shared if shared_scale else _norm(weights[i], signed, vmin, vmax)
        coloured = _draw(
            ax,
            x,
            y[i],
            weights[i],
            style=style,
            norm=norm,
            cmap=cmap,
            linewidth=None,
            baseline=None,
        )
        _finish(ax, x, ylabel=ylabel, title=names[i], invert_x=invert_x)
        if i < n - 1:
            ax.set_xlabel("")
        if not shared_scale:
            label = importance_label or default_importance_label(
                weights[i], _is_signed(norm)
            )
            fig.colorbar(coloured, ax=ax, label=label, pad=0.01)
    if shared_scale:
        label = importance_label or default_importance_label(
            weights, _is_signed(shared)
        )
        fig.colorbar(coloured, ax=list(axes), label=label, pad=0.01, aspect=12 * n)
    for i, ax in enumerate(axes):
        _annotate(ax, x, y[i], weights[i], top_k)
    return fig
