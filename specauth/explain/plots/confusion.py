"""Confusion matrix, square or with the open-set "unknown" column."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth.explain.plots._checks import as_labels, check_finite, new_axes

if TYPE_CHECKING:
    from collections.abc import Sequence

    import matplotlib.axes
    import matplotlib.colors
    from numpy.typing import ArrayLike

__all__ = ["plot_confusion_matrix"]

_NORMALIZE = (None, "true", "pred", "all")


def _inputs(labels, matrix, column_labels):
    """Return ``(row_labels, column_labels, matrix)`` from either calling form."""
    if isinstance(labels, Mapping):
        if matrix is not None or column_labels is not None:
            raise ValueError(
                "Pass either the dict of figures_of_merit alone or `labels` and "
                "`matrix`; got a dict together with `matrix` or `column_labels`."
            )
        missing = {"confusion_matrix", "rows", "columns"} - set(labels)
        if missing:
            raise ValueError(
                "`labels` given as a dict must be the output of "
                "specauth.openset.figures_of_merit, with keys 'confusion_matrix', "
                f"'rows' and 'columns'; missing {sorted(missing)}."
            )
        return labels["rows"], labels["columns"], labels["confusion_matrix"]
    if matrix is None:
        raise ValueError(
            "`matrix` is required unless `labels` is the dict returned by "
            "figures_of_merit; got matrix=None."
        )
    return labels, labels if column_labels is None else column_labels, matrix


def _as_counts(matrix):
    try:
        arr = np.array(matrix, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"`matrix` must hold numbers; got {err}.") from err
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(
            f"`matrix` must be a non-empty 2D array; got shape {arr.shape}."
        )
    check_finite(arr, "matrix")
    if (arr < 0).any():
        raise ValueError("`matrix` must hold counts >= 0; got a negative value.")
    return arr


def _normalized(counts, normalize):
    """Divide by row, column or grand totals; a zero total gives zeros."""
    if normalize is None:
        return counts
    axis = {"true": 1, "pred": 0, "all": None}[normalize]
    totals = counts.sum(axis=axis, keepdims=axis is not None)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(totals > 0, counts / np.where(totals > 0, totals, 1), 0.0)
    return out


def _annotate(ax, values, fmt, image):
    """Write every value in its cell, in a colour readable on the cell."""
    for (i, j), value in np.ndenumerate(values):
        red, green, blue, _ = image.cmap(image.norm(float(value)))
        luminance = 0.299 * red + 0.587 * green + 0.114 * blue
        color = "white" if luminance < 0.5 else "black"
        ax.text(j, i, format(value, fmt), ha="center", va="center", color=color)


def plot_confusion_matrix(
    labels: Sequence[Any] | Mapping[str, Any],
    matrix: ArrayLike | None = None,
    *,
    column_labels: Sequence[Any] | None = None,
    normalize: str | None = None,
    ax: matplotlib.axes.Axes | None = None,
    cmap: str | matplotlib.colors.Colormap = "Blues",
    colorbar: bool = True,
    values_format: str | None = None,
    title: str | None = None,
) -> matplotlib.axes.Axes:
    """Plot a confusion matrix with the count (or fraction) in every cell.

    Rows are true classes and columns predictions. Besides a square matrix
    with one list of labels, it takes the open-set matrix of
    :func:`specauth.openset.figures_of_merit`, which has an extra "unknown"
    column and a row per never-trained class: pass the whole dict returned by
    ``figures_of_merit``, or ``fom["rows"]``, ``fom["confusion_matrix"]`` and
    ``column_labels=fom["columns"]``.

    Parameters
    ----------
    labels : sequence or dict
        Row labels (and column labels when ``column_labels`` is None), or the
        dict returned by ``figures_of_merit`` (then ``matrix`` must be None).
    matrix : array-like of shape (n_rows, n_columns), default=None
        Counts, >= 0; rows are true labels, columns predicted labels.
    column_labels : sequence, default=None
        Column labels when they differ from the row labels.
    normalize : {None, "true", "pred", "all"}, default=None
        Show counts (None) or fractions of each row ("true"), each column
        ("pred") or the total ("all"), as in scikit-learn. A row or column
        without samples shows zeros.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure when None.
    cmap : str or matplotlib colormap, default="Blues"
    colorbar : bool, default=True
    values_format : str, default=None
        Format of the cell texts; "d" for whole counts, ".2f" otherwise.
    title : str, default=None

    Returns
    -------
    ax : matplotlib.axes.Axes
        ``ax.images[0].get_array()`` holds the shown values and ``ax.texts``
        one text per cell, row by row.

    Raises
    ------
    ValueError
        If the matrix is not 2D, is empty, holds NaN, infinity or negative
        counts, does not match the number of labels, or ``normalize`` is not
        one of the options.

    See Also
    --------
    specauth.openset.figures_of_merit : computes the open-set matrix.

    Examples
    --------
    >>> from specauth.openset import figures_of_merit
    >>> from specauth.explain.plots import plot_confusion_matrix
    >>> fom = figures_of_merit(["a", "b", "unknown"], ["a", "b", "x"], ["a", "b"])
    >>> ax = plot_confusion_matrix(fom)
    >>> [t.get_text() for t in ax.texts[-3:]]
    ['0', '0', '1']
    """
    rows, columns, matrix = _inputs(labels, matrix, column_labels)
    if normalize is not None and not (
        isinstance(normalize, str) and normalize in _NORMALIZE
    ):
        raise ValueError(
            f"`normalize` must be one of {list(_NORMALIZE)}; got {normalize!r}."
        )
    counts = _as_counts(matrix)
    rows = as_labels(rows, "labels", counts.shape[0])
    columns = as_labels(columns, "column_labels", counts.shape[1])
    values = _normalized(counts, normalize)
    if values_format is None:
        whole = normalize is None and np.all(values == np.round(values))
        values_format = "d" if whole else ".2f"
    shown = values.astype(np.int64) if values_format == "d" else values
    ax = new_axes(ax)
    image = ax.imshow(values, cmap=cmap, interpolation="nearest")
    _annotate(ax, shown, values_format, image)
    ax.set_xticks(range(len(columns)), [str(c) for c in columns])
    ax.set_yticks(range(len(rows)), [str(r) for r in rows])
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    if colorbar:
        ax.figure.colorbar(image, ax=ax)
    if title is not None:
        ax.set_title(title)
    return ax
