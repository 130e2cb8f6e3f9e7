"""The spectra with the largest losses, coloured by their explanation."""

from __future__ import annotations

import math
from numbers import Integral
from typing import TYPE_CHECKING

import numpy as np

from specauth._lazy import import_optional
from specauth.explain.plots._checks import (
    as_curve,
    as_labels,
    check_axes,
    check_plot_options,
    plot_axis,
)
from specauth.explain.plots.spectrum import plot_spectrum_importance

if TYPE_CHECKING:
    from collections.abc import Sequence

    import matplotlib.axes
    import matplotlib.colors
    import matplotlib.figure
    from numpy.typing import ArrayLike

    from specauth.axis import SpectralAxis

__all__ = ["plot_top_losses"]


def _as_spectra(X, name):
    from specauth._validation import check_spectra

    arr = check_spectra(X, name=name, ndim=(2, 3), dtype=np.float64)
    if arr.ndim == 3:
        if arr.shape[2] != 1:
            raise ValueError(
                f"`{name}` must hold one-channel spectra (n_samples, n_points) or "
                f"(n_samples, n_points, 1); got shape {arr.shape}."
            )
        arr = arr[:, :, 0]
    if arr.shape[1] < 2:
        raise ValueError(
            f"`{name}` must have at least 2 points per spectrum; got {arr.shape}."
        )
    return arr


def _as_indices(indices, losses):
    """Return the rows to show: given indices, or the ``k`` largest losses."""
    n = losses.size
    if isinstance(indices, Integral) and not isinstance(indices, bool):
        if not 1 <= indices <= n:
            raise ValueError(
                f"`indices` given as a number of spectra must be in [1, {n}]; "
                f"got {indices}."
            )
        return np.argsort(-losses, kind="stable")[: int(indices)]
    arr = np.asarray(indices)
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iu":
        raise ValueError(
            "`indices` must be a non-empty 1D array of row indices of `X`, or an "
            f"int k for the k largest losses; got {indices!r}."
        )
    if arr.min() < -n or arr.max() >= n:
        raise ValueError(
            f"`indices` must be valid row indices of `X` (which has {n} rows); "
            f"got values from {arr.min()} to {arr.max()}."
        )
    return arr % n


def _grid(n_panels, ncols, axes):
    """Return a flat list of at least ``n_panels`` axes and their figure."""
    if axes is None:
        plt = import_optional("matplotlib.pyplot", package="matplotlib")
        nrows = math.ceil(n_panels / ncols)
        fig, grid = plt.subplots(
            nrows,
            ncols,
            squeeze=False,
            figsize=(4 * ncols, 3 * nrows),
            layout="constrained",
        )
        flat = list(grid.ravel())
        for extra in flat[n_panels:]:
            extra.set_axis_off()
        return fig, flat
    flat = list(np.ravel(np.asarray(axes, dtype=object)))
    if len(flat) < n_panels:
        raise ValueError(
            f"`axes` must hold at least one Axes per spectrum shown ({n_panels}); "
            f"got {len(flat)}."
        )
    for a in flat:
        check_axes(a, "axes")
    return flat[0].figure, flat


def plot_top_losses(
    X: ArrayLike,
    indices: int | ArrayLike,
    losses: ArrayLike,
    actual: ArrayLike,
    predicted: ArrayLike,
    importances: ArrayLike | None = None,
    *,
    axis: SpectralAxis | ArrayLike | None = None,
    style: str = "band",
    top_k: int = 0,
    ncols: int = 3,
    cmap: str | matplotlib.colors.Colormap | None = None,
    axes: Sequence[matplotlib.axes.Axes] | np.ndarray | None = None,
    energy: ArrayLike | None = None,
) -> matplotlib.figure.Figure:
    """Plot the spectra the model got most wrong, coloured by their explanation.

    Every array describes the rows of ``X`` (one entry per spectrum);
    ``indices`` picks the spectra to show, in order. Each panel is titled
    "actual / predicted", with the loss and the row index. With
    ``importances`` each panel is drawn by :func:`plot_spectrum_importance`
    on the spectrum's own colour scale (signed importances centred on zero),
    without a colour bar and, by default, without region labels, which
    crowd small panels.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_points) or (n_samples, n_points, 1)
        Spectra.
    indices : int or array-like of int
        Rows of ``X`` to show, e.g. ``np.argsort(losses)[::-1][:9]``; an int
        ``k`` shows the ``k`` largest losses.
    losses : array-like of shape (n_samples,)
        Loss of every spectrum (e.g. cross-entropy of the true class).
    actual, predicted : array-like of shape (n_samples,)
        True and predicted labels.
    importances : array-like of shape (n_samples, n_points), default=None
        Explanation of every spectrum, e.g. from
        :meth:`specauth.explain.CAM1D.explain`; None draws plain lines.
    axis : SpectralAxis or array-like of shape (n_points,), default=None
        The x values. A :class:`specauth.axis.SpectralAxis` gives the x label
        with its unit and the direction (wavenumbers decrease to the right);
        plain values are labelled "x". None: the channel index, labelled
        "channel".
    style : {"band", "background", "line"}, default="band"
        How the importance colours each panel (see
        :func:`plot_spectrum_importance`).
    top_k : int, default=0
        Regions of largest importance labelled with their axis values in
        each panel; 0: none.
    ncols : int, default=3
        Panels per row of a new figure.
    cmap : str or matplotlib colormap, default=None
        Colormap of the importance; None: the default of
        :func:`plot_spectrum_importance` for ``style``.
    axes : array-like of matplotlib.axes.Axes, default=None
        Axes to draw on, at least one per spectrum shown; a new figure when
        None.
    energy : array-like of shape (n_points,), default=None
        Deprecated alias of ``axis`` (values labelled "energy", no unit).

    Returns
    -------
    fig : matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the arrays do not all have one entry per row of ``X``, hold NaN or
        infinity, ``indices`` is out of range, ``axis`` has not one strictly
        monotonic value per point or ``style`` is unknown.
    TypeError
        If both ``axis`` and ``energy`` are given, or ``top_k`` is not an int.

    See Also
    --------
    plot_spectrum_importance : one spectrum, with a colorbar.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.axis import SpectralAxis
    >>> from specauth.explain.plots import plot_top_losses
    >>> X = np.sin(np.linspace(0, 6, 40)) * np.arange(1, 6)[:, None]
    >>> axis = SpectralAxis(np.linspace(100, 2000, 40), "energy", "keV")
    >>> fig = plot_top_losses(X, 2, [0.1, 2.0, 0.3, 1.5, 0.2], list("aabbc"),
    ...                       list("abbac"), importances=np.abs(X), axis=axis)
    >>> [ax.get_title().split("\\n")[0] for ax in fig.axes[:2]]
    ['a / b', 'b / a']
    >>> fig.axes[0].get_xlabel()
    'energy (keV)'
    """
    check_plot_options(style, None, None, top_k)
    spectra = _as_spectra(X, "X")
    n, n_points = spectra.shape
    loss = as_curve(losses, "losses")
    if loss.size != n:
        raise ValueError(
            f"`losses` must have one value per row of `X` ({n}); got {loss.size}."
        )
    true = as_labels(actual, "actual", n)
    pred = as_labels(predicted, "predicted", n)
    weights = None
    if importances is not None:
        weights = _as_spectra(importances, "importances")
        if weights.shape != spectra.shape:
            raise ValueError(
                f"`importances` must have the shape of `X` {spectra.shape}; got "
                f"{weights.shape}."
            )
    x = plot_axis(axis, n_points, energy=energy)
    panel_axis = x.values if energy is not None else axis  # keeps the unit
    if isinstance(ncols, bool) or not isinstance(ncols, Integral) or ncols < 1:
        raise ValueError(f"`ncols` must be an int >= 1; got {ncols!r}.")
    rows = _as_indices(indices, loss)
    fig, flat = _grid(rows.size, int(ncols), axes)
    for ax, i in zip(flat, rows, strict=False):
        title = f"{true[i]} / {pred[i]}\nloss {loss[i]:.3g}, row {i}"
        if weights is None:
            ax.plot(x.values, spectra[i], color="C0")
            ax.set(title=title, xlabel=x.label)
            if x.decreasing:
                ax.invert_xaxis()
            continue
        plot_spectrum_importance(
            spectra[i],
            weights[i],
            axis=panel_axis,
            style=style,
            top_k=top_k,
            ax=ax,
            cmap=cmap,
            colorbar=False,
            xlabel=x.label,
            title=title,
        )
    return fig
