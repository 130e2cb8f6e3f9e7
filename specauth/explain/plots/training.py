"""Training curves: the learning-rate finder and the history of a fit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth.explain.plots._checks import check_axes, new_axes

if TYPE_CHECKING:
    from collections.abc import Sequence

    import matplotlib.axes

__all__ = ["plot_lr_find", "plot_history"]

_NOT_METRICS = ("lr", "learning_rate", "lr_per_batch", "phase")


def plot_lr_find(
    result: object,
    ax: matplotlib.axes.Axes | None = None,
    *,
    suggestions: bool = True,
) -> matplotlib.axes.Axes:
    """Plot loss versus learning rate from a learning-rate range test.

    A thin wrapper of :meth:`specauth.training.LRFinderResult.plot` that also
    takes a classifier fitted with ``learning_rate="find"``.

    Parameters
    ----------
    result : LRFinderResult or fitted estimator
        The result of :func:`specauth.training.lr_find`, or an estimator with
        an ``lr_finder_`` attribute (a ``CNNClassifier`` fitted with
        ``learning_rate="find"``).
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure when None.
    suggestions : bool, default=True
        Mark the suggested learning rates (valley, slide, minimum, steep).

    Returns
    -------
    ax : matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``result`` is neither an ``LRFinderResult`` nor an estimator with
        ``lr_finder_``.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.training import LRFinderResult
    >>> from specauth.explain.plots import plot_lr_find
    >>> result = LRFinderResult(np.logspace(-5, 0, 6), [2, 1.9, 1.2, 0.6, 0.5, 9])
    >>> ax = plot_lr_find(result)
    >>> ax.get_xscale()
    'log'
    """
    from specauth.training.lr_finder_result import LRFinderResult

    found = getattr(result, "lr_finder_", result)
    if not isinstance(found, LRFinderResult):
        raise TypeError(
            "`result` must be an LRFinderResult (from specauth.training.lr_find) "
            "or an estimator fitted with learning_rate='find' (which has "
            f"`lr_finder_`); got {type(result).__name__}."
        )
    if ax is not None:
        check_axes(ax)
    return found.plot(ax=ax, suggestions=bool(suggestions))


def _as_history(history):
    """Return the history dict of a dict, an estimator or a Keras History."""
    if isinstance(history, Mapping):
        found = history
    elif isinstance(getattr(history, "history_", None), Mapping):
        found = history.history_
    elif isinstance(getattr(history, "history", None), Mapping):
        found = history.history
    else:
        raise TypeError(
            "`history` must be a dict of per-epoch lists, a fitted estimator with "
            "`history_` or a keras History; got "
            f"{type(history).__name__}."
        )
    return dict(found)


def _as_values(history, key):
    try:
        values = np.array(history[key], dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"`history[{key!r}]` must hold numbers; got {err}.") from err
    if values.ndim != 1:
        raise ValueError(
            f"`history[{key!r}]` must be a 1D list of values; got shape {values.shape}."
        )
    return values


def _metric_curves(history, metrics):
    """Return ``{name: per-epoch values}``, all of one length >= 1."""
    if metrics is None:
        metrics = [k for k in history if k not in _NOT_METRICS]
    elif isinstance(metrics, str):
        metrics = [metrics]
    missing = [m for m in metrics if m not in history]
    if missing:
        raise ValueError(
            f"`metrics` {missing} not found in the history; available: "
            f"{sorted(k for k in history if k not in _NOT_METRICS)}."
        )
    curves = {m: _as_values(history, m) for m in metrics}
    lengths = {v.size for v in curves.values()}
    if not curves or lengths == {0}:
        raise ValueError("`history` must hold at least one metric with one epoch.")
    if len(lengths) > 1:
        raise ValueError(
            "Every metric in `history` must have one value per epoch; got lengths "
            f"{ {k: v.size for k, v in curves.items()} }."
        )
    return curves


def _plot_learning_rate(ax, history, n_epochs):
    """Draw the learning rate on a twin y axis; return it, or None."""
    if len(history.get("lr_per_batch", ())):
        lrs = _as_values(history, "lr_per_batch")
        x = np.arange(lrs.size) * n_epochs / lrs.size
    else:
        key = next((k for k in ("lr", "learning_rate") if k in history), None)
        if key is None:
            return None
        lrs = _as_values(history, key)
        x = np.arange(1, lrs.size + 1)
    twin = ax.twinx()
    twin.plot(x, lrs, color="0.5", lw=1, ls="--", label="learning rate")
    twin.set_ylabel("learning rate")
    twin.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
    return twin


def _mark_phases(ax, phases):
    """Draw a line at each change of phase and name every phase."""
    phases = list(phases)
    starts = [0] + [i for i in range(1, len(phases)) if phases[i] != phases[i - 1]]
    ends = starts[1:] + [len(phases)]
    for start, end in zip(starts, ends, strict=True):
        if start > 0:
            ax.axvline(start, color="k", lw=1, ls=":")
        ax.text(
            (start + end) / 2,
            0.02,
            str(phases[start]),
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
        )


def plot_history(
    history: Any,
    *,
    metrics: str | Sequence[str] | None = None,
    ax: matplotlib.axes.Axes | None = None,
    lr: bool = True,
    title: str | None = None,
) -> matplotlib.axes.Axes:
    """Plot loss and metrics per epoch, with the learning rate per batch.

    Metrics are drawn at the end of each epoch (x = 1 .. n_epochs); the
    learning rate of every batch (``history["lr_per_batch"]``, as recorded by
    :class:`~specauth.estimators.CNNClassifier`) is drawn on a second y axis
    at x = batch / batches_per_epoch, so the schedule lines up with the
    epochs. When the history has a ``"phase"`` per epoch (fine-tuning), a
    dotted line marks each change of phase and each phase is named.

    Parameters
    ----------
    history : dict, fitted estimator or keras History
        Per-epoch lists (``loss``, ``accuracy``, ``val_loss``...), e.g.
        ``CNNClassifier.history_``; an estimator (its ``history_``) or the
        object returned by ``keras.Model.fit`` (its ``history``) also work.
        NaN values (a diverged epoch) leave gaps.
    metrics : str or list of str, default=None
        Keys to plot; every key except ``lr``, ``learning_rate``,
        ``lr_per_batch`` and ``phase`` when None.
    ax : matplotlib.axes.Axes, default=None
        Axes of the metrics; a new figure when None. The learning rate goes
        on ``ax.twinx()``.
    lr : bool, default=True
        Draw the learning rate (per batch if recorded, else per epoch).
    title : str, default=None

    Returns
    -------
    ax : matplotlib.axes.Axes
        The metrics axes.

    Raises
    ------
    ValueError
        If a metric is missing or non-numeric, metrics differ in length, or
        there is no epoch.
    TypeError
        If ``history`` is not a dict, an estimator or a Keras History.

    Examples
    --------
    >>> from specauth.explain.plots import plot_history
    >>> history = {"loss": [1.0, 0.6, 0.4], "accuracy": [0.5, 0.7, 0.9],
    ...            "lr_per_batch": [0.1, 0.3, 0.5, 0.3, 0.2, 0.1]}
    >>> ax = plot_history(history)
    >>> [line.get_label() for line in ax.lines]
    ['loss', 'accuracy']
    """
    history = _as_history(history)
    curves = _metric_curves(history, metrics)
    n_epochs = next(iter(curves.values())).size
    ax = new_axes(ax)
    epochs = np.arange(1, n_epochs + 1)
    for name, values in curves.items():
        ax.plot(epochs, values, marker=".", label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss / metric")
    handles, labels = ax.get_legend_handles_labels()
    twin = _plot_learning_rate(ax, history, n_epochs) if lr else None
    if twin is not None:
        more, more_labels = twin.get_legend_handles_labels()
        handles, labels = handles + more, labels + more_labels
    if "phase" in history and len(history["phase"]) == n_epochs:
        _mark_phases(ax, history["phase"])
    # The twin axes is drawn over ``ax``: the legend goes on top of both.
    (ax if twin is None else twin).legend(handles, labels, loc="best")
    if title is not None:
        ax.set_title(title)
    return ax
