"""Plots of a regressor's predictions: parity and residuals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from numpy.typing import ArrayLike

__all__ = ["plot_parity", "plot_residuals"]


def _paired(y_true, y_pred):
    true = np.asarray(y_true, dtype=np.float64).ravel()
    pred = np.asarray(y_pred, dtype=np.float64).ravel()
    if true.shape != pred.shape or true.size == 0:
        raise ValueError(
            "`y_true` and `y_pred` must hold the same number of values (at least "
            f"one); got {true.size} and {pred.size}."
        )
    if not (np.isfinite(true).all() and np.isfinite(pred).all()):
        raise ValueError("`y_true` and `y_pred` must be finite (no NaN or inf).")
    return true, pred


def _axes(ax, size):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size, layout="constrained")[1]


def plot_parity(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    ax: Axes | None = None,
    label: str = "value",
    title: str | None = None,
    **scatter: Any,
) -> Axes:
    """Predicted against reference values, with the identity line.

    The legend gives RMSE, R² and the bias (mean of predicted minus
    reference); points on the dashed line are exact.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Reference and predicted values.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    label : str, default="value"
        Name (and unit) of the quantity, e.g. ``"fat (%)"``.
    title : str, default=None
    **scatter
        Passed to ``Axes.scatter``.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_parity([1.0, 2.0, 3.0], [1.1, 1.9, 3.2], label="fat (%)")
    >>> ax.get_xlabel()
    'reference fat (%)'
    """
    from sklearn.metrics import r2_score

    true, pred = _paired(y_true, y_pred)
    ax = _axes(ax, (4.8, 4.6))
    errors = pred - true
    rmse = float(np.sqrt(np.mean(errors**2)))
    r2 = float(r2_score(true, pred)) if true.size > 1 else float("nan")
    legend = f"RMSE {rmse:.4g}, R² {r2:.3f}, bias {errors.mean():+.3g}"
    ax.scatter(true, pred, s=scatter.pop("s", 18), alpha=0.8, label=legend, **scatter)
    low = float(min(true.min(), pred.min()))
    high = float(max(true.max(), pred.max()))
    pad = 0.04 * (high - low or 1.0)
    limits = (low - pad, high + pad)
    ax.plot(limits, limits, "k--", lw=1, label="predicted = reference")
    ax.set_xlim(limits)
    ax.set_ylim(limits)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(f"reference {label}")
    ax.set_ylabel(f"predicted {label}")
    ax.legend(loc="upper left", fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def plot_residuals(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    ax: Axes | None = None,
    label: str = "value",
    title: str | None = None,
) -> Axes:
    """Residuals (predicted minus reference) against the reference values.

    A band of ±2 RMSE around zero and the mean residual (the bias) are
    drawn; a trend along the reference axis shows a systematic error (for
    example, high values predicted too low).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Reference and predicted values.
    ax : matplotlib Axes, default=None
    label : str, default="value"
        Name (and unit) of the quantity.
    title : str, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_residuals([1.0, 2.0, 3.0], [1.1, 1.9, 3.2])
    >>> ax.get_ylabel()
    'residual (predicted - reference) value'
    """
    true, pred = _paired(y_true, y_pred)
    ax = _axes(ax, (6.4, 3.6))
    errors = pred - true
    rmse = float(np.sqrt(np.mean(errors**2)))
    ax.axhspan(-2 * rmse, 2 * rmse, color="0.9", label="±2 RMSE")
    ax.axhline(0.0, color="k", lw=1)
    ax.axhline(errors.mean(), color="C3", lw=1, ls="--", label="bias")
    ax.scatter(true, errors, s=18, alpha=0.8)
    ax.set_xlabel(f"reference {label}")
    ax.set_ylabel(f"residual (predicted - reference) {label}")
    ax.legend(loc="best", fontsize="small")
    if title:
        ax.set_title(title)
    return ax
