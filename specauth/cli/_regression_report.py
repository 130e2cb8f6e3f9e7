"""``specauth report`` for a regressor: figures of merit, parity and
residual plots, training history and model card in one HTML page."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth.cli import _html

if TYPE_CHECKING:
    import argparse

__all__ = ["REGRESSION_FIGURE_IDS", "regression_report"]

#: ids of the ``<figure>`` elements of a regression report
REGRESSION_FIGURE_IDS = ("parity", "residuals", "training-history")


def _load(args, model):
    from specauth.cli._axis import spectra_on_model_axis
    from specauth.cli._files import reading
    from specauth.cli._regression import numeric_targets
    from specauth.datasets import read_labels
    from specauth.datasets.files import read_spectra_axis

    if args.x_unknown is not None:
        raise ValueError(
            f"--x-unknown applies to classifiers (never-trained classes); "
            f"{args.model} holds a regressor."
        )
    with reading("--x", args.x):
        X, axis = read_spectra_axis(args.x)
    X = spectra_on_model_axis(
        model, X, axis, resample=getattr(args, "resample", False), path=args.x
    )
    with reading("--y", args.y):
        raw = read_labels(args.y, n_expected=len(X))
    y = numeric_targets(raw)
    if y is None:
        raise ValueError(
            f"--y {args.y} must hold one number per spectrum (the reference "
            "values of the regressor); it holds text, NaN or infinity."
        )
    return X, y


def _metrics_rows(y, predicted):
    from specauth.cli._regression import regression_metrics

    metrics = regression_metrics(y, predicted)
    sd = float(np.std(y))
    rpd = sd / metrics["RMSE"] if metrics["RMSE"] > 0 else float("inf")
    return [
        ["spectra", f"{len(y)}"],
        ["RMSE (root mean squared error)", f"{metrics['RMSE']:.4g}"],
        ["R² (coefficient of determination)", f"{metrics['R2']:.4f}"],
        ["bias (mean of predicted - reference)", f"{metrics['bias']:+.4g}"],
        ["RPD (sd of reference / RMSE)", f"{rpd:.3g}"],
        ["reference range", f"{np.min(y):.4g} .. {np.max(y):.4g}"],
    ], metrics


def _figure(fig_id, draw, caption):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
    draw(ax)
    return _html.figure_html(fig_id, _html.png_bytes(fig), caption)


def regression_report(args: argparse.Namespace, model: Any) -> Path:
    """Write the HTML report of a fitted regression model on ``--x``/``--y``."""
    from specauth._safe_write import atomic_output
    from specauth.cli._axis import model_axis
    from specauth.cli._model import split_model
    from specauth.cli.report import _card_section, _history_figure
    from specauth.explain.plots import plot_parity, plot_residuals

    X, y = _load(args, model)
    predicted = np.asarray(model.predict(X), dtype=np.float64)
    if predicted.ndim == 2 and predicted.shape[1] == 1:
        predicted = predicted[:, 0]
    if predicted.ndim != 1:
        raise ValueError(
            f"{args.model} predicts {predicted.shape[1]} targets; the report "
            "compares one target with the values of --y."
        )
    transformers, final = split_model(model)
    axis = model_axis(model)
    summary = [
        ["model", f"{type(final).__name__} ({getattr(final, 'model', '?')})"],
        ["input", f"spectra of {X.shape[1]} points"],
        ["axis", "none (point indices)" if axis is None else axis.describe()],
        ["preprocessing", ", ".join(type(t).__name__ for t in transformers) or "none"],
        ["loss", str(getattr(final, "loss", "?"))],
    ]
    rows, _ = _metrics_rows(y, predicted)
    sections = [
        _html.section_html(
            "summary", "Model", _html.table_html(summary, header=["", ""])
        ),
        _html.section_html(
            "metrics",
            "Figures of merit",
            _html.table_html(rows, header=["figure of merit", "value"]),
        ),
        _html.section_html(
            "parity-plot",
            "Predicted against reference",
            _figure(
                "parity",
                lambda ax: plot_parity(y, predicted, ax=ax),
                "Each spectrum's predicted value against its reference; the "
                "dashed line is a perfect prediction.",
            ),
        ),
        _html.section_html(
            "residual-plot",
            "Residuals",
            _figure(
                "residuals",
                lambda ax: plot_residuals(y, predicted, ax=ax),
                "Predicted minus reference against the reference, with ±2 RMSE "
                "and the bias; a slope means a systematic error.",
            ),
        ),
        _html.section_html("history", "Training history", _history_figure(final)),
        _card_section(args.model),
    ]
    title = f"specauth report: {Path(args.model).name or args.model}"
    out = Path(args.out)
    page = _html.page_html(title, sections)
    with atomic_output(out) as temporary:
        temporary.write_text(page, encoding="utf-8")
    print(f"wrote the regression report on {len(X)} spectra to {out}", file=sys.stderr)
    return out
