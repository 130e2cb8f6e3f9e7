"""Regression on the command line: which task ``train`` does, and the
figures of merit of predicted values (RMSE, R², bias)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["TASKS", "numeric_targets", "regression_metrics", "resolve_task"]

#: Values of ``train --task``.
TASKS = ("auto", "classification", "regression")
#: A numeric ``y`` with more distinct values than this is taken as a quantity.
MAX_CLASSES = 20


def numeric_targets(y: Any, option: str = "--y") -> np.ndarray | None:
    """``y`` as float64 when every value is a finite number, else None."""
    values = np.asarray(y)
    if values.dtype.kind in "iuf":
        out = values.astype(np.float64)
    else:
        try:
            out = np.asarray([float(v) for v in values.ravel().tolist()])
        except (TypeError, ValueError):
            return None
        out = out.reshape(values.shape)
    return out if np.isfinite(out).all() else None


def resolve_task(task: str, y: Any, option: str = "--y") -> tuple[str, Any]:
    """``(task, y)``: the task to train and the targets for it.

    ``"auto"`` takes a numeric ``y`` with fractional values or more than
    :data:`MAX_CLASSES` distinct values as quantities to regress (and says
    so); anything else is classified. ``"regression"`` needs numbers.
    """
    if task == "classification":
        return task, y
    values = numeric_targets(y)
    if task == "regression":
        if values is None:
            example = next(
                (v for v in np.asarray(y).ravel().tolist() if _not_number(v)), None
            )
            raise ValueError(
                f"--task regression needs numbers in {option}; it holds values "
                f"such as {example!r} (NaN, infinity or text). Fix or drop those "
                "rows, or train a classifier (--task classification)."
            )
        return task, values
    if values is None:
        return "classification", y
    distinct = np.unique(values).size
    fractional = bool(np.any(values != np.round(values)))
    if fractional or distinct > MAX_CLASSES:
        why = "fractional values" if fractional else f"{distinct} distinct values"
        print(
            f"{option} holds numbers with {why}: training a regressor (give "
            "--task classification to treat them as class labels)"
        )
        return "regression", values
    return "classification", y


def _not_number(value):
    try:
        return not np.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """RMSE, R² and bias (mean of predicted minus true) of predicted values.

    Examples
    --------
    >>> regression_metrics([1.0, 2.0, 3.0], [1.5, 2.0, 3.5])
    {'RMSE': 0.408248290463863, 'R2': 0.75, 'bias': 0.3333333333333333, 'n': 3.0}
    """
    from sklearn.metrics import r2_score

    true = np.asarray(y_true, dtype=np.float64)
    pred = np.asarray(y_pred, dtype=np.float64).reshape(true.shape)
    errors = pred - true
    return {
        "RMSE": float(np.sqrt(np.mean(errors**2))),
        "R2": float(r2_score(true, pred)) if len(true) > 1 else float("nan"),
        "bias": float(np.mean(errors)),
        "n": float(len(true)),
    }
