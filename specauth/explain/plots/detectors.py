"""Histograms of detector scores: train vs test vs unknown, with the threshold."""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth.explain.plots._checks import as_curve, new_axes

if TYPE_CHECKING:
    import matplotlib.axes
    from numpy.typing import ArrayLike

__all__ = ["plot_score_histograms", "plot_detector_scores"]

_GROUPS = (
    ("train_scores", "train", "C0"),
    ("test_scores", "test", "C2"),
    ("unknown_scores", "unknown", "C3"),
)


def _check_bins(bins):
    """Return ``bins`` checked: an int >= 1, a numpy rule name, or edges."""
    if isinstance(bins, str):
        return bins
    if isinstance(bins, Integral) and not isinstance(bins, bool):
        if bins < 1:
            raise ValueError(f"`bins` must be an int >= 1; got {bins}.")
        return int(bins)
    try:
        edges = as_curve(bins, "bins", min_length=2)
    except ValueError as err:
        raise ValueError(
            "`bins` must be an int >= 1, a numpy bin rule (str) or increasing "
            f"bin edges; got {bins!r}."
        ) from err
    if np.any(np.diff(edges) <= 0):
        raise ValueError("`bins` given as edges must be strictly increasing.")
    return edges


def plot_score_histograms(
    train_scores: ArrayLike,
    test_scores: ArrayLike | None = None,
    unknown_scores: ArrayLike | None = None,
    *,
    threshold: float | None = None,
    bins: int | str | ArrayLike = 30,
    density: bool = True,
    ax: matplotlib.axes.Axes | None = None,
    title: str | None = None,
) -> matplotlib.axes.Axes:
    """Plot the distributions of detector scores and the rejection threshold.

    Scores follow the detector convention of :mod:`specauth.ood` (higher =
    more in-distribution; samples below ``threshold`` are rejected). All the
    groups share the same bin edges, computed from every score together, so
    their histograms can be compared bar by bar.

    Parameters
    ----------
    train_scores : array-like of shape (n_train,)
        Scores of the training data (known classes).
    test_scores : array-like of shape (n_test,), default=None
        Scores of held-out data of the known classes.
    unknown_scores : array-like of shape (n_unknown,), default=None
        Scores of never-trained classes.
    threshold : float, default=None
        Detector threshold, drawn as a dashed vertical line.
    bins : int, str or array-like, default=30
        Number of bins, a :func:`numpy.histogram_bin_edges` rule, or edges.
    density : bool, default=True
        Normalise each histogram to unit area (groups of different sizes
        compare fairly); counts when False.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure when None.
    title : str, default=None

    Returns
    -------
    ax : matplotlib.axes.Axes
        ``ax.patches`` holds one step patch per group (``get_data()`` gives
        the heights and edges) and the threshold is ``ax.lines[-1]``.

    Raises
    ------
    ValueError
        If scores are not 1D, are empty or hold NaN or infinity, or the
        threshold or bins are invalid.

    See Also
    --------
    plot_detector_scores : computes the scores with a fitted detector.
    specauth.openset.ood_metrics : AUROC and FPR at 95 % TPR of the same scores.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.explain.plots import plot_score_histograms
    >>> rng = np.random.default_rng(0)
    >>> ax = plot_score_histograms(rng.normal(2, 1, 200), rng.normal(2, 1, 50),
    ...                            rng.normal(-1, 1, 50), threshold=0.4)
    >>> [p.get_label() for p in ax.patches]
    ['train', 'test', 'unknown']
    """
    given = {
        "train_scores": train_scores,
        "test_scores": test_scores,
        "unknown_scores": unknown_scores,
    }
    if train_scores is None:
        raise ValueError("`train_scores` must be a 1D array of scores; got None.")
    groups = [
        (label, color, as_curve(values, name))
        for name, label, color in _GROUPS
        if (values := given[name]) is not None
    ]
    if threshold is not None:
        if isinstance(threshold, bool) or not isinstance(threshold, Real):
            raise ValueError(f"`threshold` must be a number; got {threshold!r}.")
        if not np.isfinite(threshold):
            raise ValueError(f"`threshold` must be finite; got {threshold!r}.")
    edges = np.histogram_bin_edges(
        np.concatenate([scores for _, _, scores in groups]), bins=_check_bins(bins)
    )
    ax = new_axes(ax)
    for label, color, scores in groups:
        heights, _ = np.histogram(scores, bins=edges, density=bool(density))
        ax.stairs(heights, edges, fill=True, alpha=0.35, color=color, label=label)
    if threshold is not None:
        ax.axvline(
            float(threshold),
            color="k",
            ls="--",
            label=f"threshold {float(threshold):.3g}",
        )
    ax.set_xlabel("score (higher = more in-distribution)")
    ax.set_ylabel("density" if density else "count")
    ax.legend()
    if title is not None:
        ax.set_title(title)
    return ax


def _threshold_of(detector):
    """The threshold of a fitted detector, or of an OpenSetClassifier's."""
    for owner in (detector, getattr(detector, "detector_", None)):
        value = getattr(owner, "threshold_", None)
        if value is not None:
            return float(value)
    return None


def plot_detector_scores(
    detector: Any,
    X_train: ArrayLike,
    X_test: ArrayLike | None = None,
    X_unknown: ArrayLike | None = None,
    *,
    bins: int | str | ArrayLike = 30,
    density: bool = True,
    ax: matplotlib.axes.Axes | None = None,
    title: str | None = None,
) -> matplotlib.axes.Axes:
    """Score data with a fitted detector and plot the score histograms.

    Parameters
    ----------
    detector : fitted detector or OpenSetClassifier
        Anything with ``score_samples(X)`` and a ``threshold_`` (a
        :mod:`specauth.ood` detector) or a ``detector_`` that has one (a
        fitted :class:`~specauth.openset.OpenSetClassifier`).
    X_train : array-like
        Training data, in the form ``detector.score_samples`` takes.
    X_test, X_unknown : array-like, default=None
        Held-out known-class data and never-trained data.
    bins, density, ax, title
        As in :func:`plot_score_histograms`.

    Returns
    -------
    ax : matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``detector`` has no ``score_samples``.
    sklearn.exceptions.NotFittedError
        If it is not fitted (raised by ``score_samples``).

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.ood import Energy
    >>> from specauth.explain.plots import plot_detector_scores
    >>> rng = np.random.default_rng(0)
    >>> logits = rng.normal(size=(100, 3)) + [4, 0, 0]
    >>> det = Energy().fit(logits)
    >>> ax = plot_detector_scores(det, logits, X_unknown=rng.normal(size=(30, 3)))
    >>> float(ax.lines[-1].get_xdata()[0]) == det.threshold_
    True
    """
    if not callable(getattr(detector, "score_samples", None)):
        raise TypeError(
            "`detector` must be a fitted detector or OpenSetClassifier with "
            f"`score_samples`; got {type(detector).__name__}."
        )
    # A None X_train goes through as None: plot_score_histograms refuses it.
    train_scores = (
        None if X_train is None else np.asarray(detector.score_samples(X_train))
    )
    test_scores, unknown_scores = [
        None if X is None else np.asarray(detector.score_samples(X))
        for X in (X_test, X_unknown)
    ]
    return plot_score_histograms(
        train_scores,
        test_scores,
        unknown_scores,
        threshold=_threshold_of(detector),
        bins=bins,
        density=density,
        ax=ax,
        title=title,
    )
