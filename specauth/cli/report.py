"""``specauth report``: one self-contained HTML report of a saved model.

The page holds the model summary and model card, closed- and open-set figures
of merit on labelled data, the open-set confusion matrix, detector score
histograms, example explanations (correct, wrong and rejected spectra) and the
training history; for a regressor, RMSE, R², bias and RPD, the parity plot
and the residuals against the reference values. Figures are base64 PNG
images inside the file; it needs no network, no scripts and no other file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from specauth.cli import _html
from specauth.cli._axis import add_resample_argument
from specauth.cli._options import non_negative_int

if TYPE_CHECKING:
    import argparse

__all__ = ["add_parser", "run", "FIGURE_IDS"]

#: ids of the ``<figure>`` elements a full report holds
FIGURE_IDS = (
    "confusion-matrix",
    "score-histograms",
    "training-history",
)
NEVER_TRAINED = "never-trained"

_EXAMPLES = """\
examples:
  specauth report my_model/ --x test.npy --y test_labels.csv --out report.html
  specauth report my_model/ --x test.h5:/X --y y.txt --x-unknown other.npy \\
                  --out report.html --examples 4

Labels in --y that are not classes of the model count as never-trained
samples (the right answer for them is 'unknown'); spectra in --x-unknown are
all never-trained.
"""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``report`` command."""
    import argparse

    parser = commands.add_parser(
        "report",
        help="write a self-contained HTML report of a model on labelled data",
        description="Evaluate a model folder written by `specauth train` on "
        "labelled spectra and write one HTML file with the model card, the "
        "closed-set and open-set figures of merit, the confusion matrix with "
        "the 'unknown' column, detector score histograms, example "
        "explanations and the training history.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", metavar="MODEL_DIR", help="saved model folder")
    parser.add_argument("--x", required=True, metavar="FILE", help="spectra file")
    parser.add_argument(
        "--y", required=True, metavar="FILE", help="labels file, one per spectrum"
    )
    parser.add_argument(
        "--x-unknown",
        default=None,
        metavar="FILE",
        help="spectra of classes the model never saw (optional)",
    )
    parser.add_argument(
        "--out", required=True, metavar="FILE", help="HTML file to write"
    )
    parser.add_argument(
        "--examples",
        type=non_negative_int,
        default=3,
        metavar="N",
        help="explained spectra per group: correct, wrong, rejected "
        "(default: %(default)s)",
    )
    add_resample_argument(parser)
    parser.set_defaults(run=run)


# ------------------------------------------------------------------ data
def _true_labels(model, y):
    """Labels as the model's class objects where their text matches."""
    lookup = {str(c): c for c in model.classes_}
    return np.array([lookup.get(str(v), str(v)) for v in y], dtype=object)


def _load(args, model):
    from specauth.cli._axis import spectra_on_model_axis
    from specauth.cli._files import reading
    from specauth.datasets import read_labels
    from specauth.datasets.files import read_spectra_axis

    resample = getattr(args, "resample", False)
    with reading("--x", args.x):
        X, axis = read_spectra_axis(args.x)
    X = spectra_on_model_axis(model, X, axis, resample=resample, path=args.x)
    with reading("--y", args.y):
        y = _true_labels(model, read_labels(args.y, n_expected=len(X)))
    if args.x_unknown is not None:
        with reading("--x-unknown", args.x_unknown):
            X_unknown, axis = read_spectra_axis(args.x_unknown)
        X_unknown = spectra_on_model_axis(
            model,
            X_unknown,
            axis,
            resample=resample,
            option="--x-unknown",
            path=args.x_unknown,
        )
        if X_unknown.shape[1:] != X.shape[1:]:
            raise ValueError(
                f"--x-unknown spectra have {X_unknown.shape[1]} points but --x "
                f"spectra have {X.shape[1]}; they must match."
            )
        X = np.concatenate([X, X_unknown])
        y = np.concatenate([y, np.full(len(X_unknown), NEVER_TRAINED, object)])
    return X, y


def _evaluate(model, X, y):
    """Predictions, scores and figures of merit (a dict)."""
    from specauth.cli._model import predict_outputs, split_model
    from specauth.openset import figures_of_merit

    final = split_model(model)[1]
    unknown_label = getattr(final, "unknown_label", "unknown")
    outputs = predict_outputs(model, X)
    classes = list(model.classes_)
    known_set = set(classes)
    known = np.array([v in known_set for v in y.tolist()], dtype=bool)
    top = np.array(classes, dtype=object)[np.argmax(outputs["proba"], axis=1)]
    labels = np.array(outputs["labels"].tolist(), dtype=object)
    fom = figures_of_merit(labels, y, classes, unknown_label=unknown_label)
    return {
        **outputs,
        "final": final,
        "labels": labels,
        "top": top,
        "known": known,
        "rejected": labels == unknown_label,
        "unknown_label": unknown_label,
        "closed_accuracy": float(np.mean(top[known] == y[known]))
        if known.any()
        else float("nan"),
        "fom": fom,
    }


# --------------------------------------------------------------- sections
def _summary_section(model, X, ev):
    from specauth.cli._axis import model_axis
    from specauth.cli._model import split_model

    transformers, final = split_model(model)
    axis, seen = model_axis(model), model_axis(model, where="final")
    detector = getattr(final, "detector_", None)
    rows = [
        ["classes", ", ".join(str(c) for c in model.classes_)],
        ["input", f"spectra of {X.shape[1]} points"],
        ["axis", "none (point indices)" if axis is None else axis.describe()],
        ["preprocessing", ", ".join(type(t).__name__ for t in transformers) or "none"],
        ["classifier", type(getattr(final, "classifier_", final)).__name__],
        ["network", getattr(getattr(final, "classifier_", final), "model", "?")],
    ]
    if seen is not None and axis is not None and len(seen) != len(axis):
        rows.insert(3, ["network sees", seen.describe()])
    if detector is not None:
        rows += [
            ["detector", type(detector).__name__],
            ["alpha", getattr(detector, "alpha", "?")],
            ["threshold", f"{detector.threshold_:.4g}"],
        ]
    else:
        rows.append(["detector", "none (closed-set classifier)"])
    rows.append(
        [
            "evaluated on",
            f"{len(X)} spectra ({int(ev['known'].sum())} of "
            f"known classes, {int((~ev['known']).sum())} never-trained)",
        ]
    )
    return _html.section_html("model", "Model", _html.table_html(rows))


def _card_section(folder):
    """The model card (README.md of the model folder), if there is one."""
    card = Path(folder) / "README.md"
    if not card.is_file():
        body = '<p class="note">No model card (README.md) in the model folder.</p>'
    else:
        text = card.read_text(encoding="utf-8", errors="replace")
        body = f'<div class="card" id="model-card">{_html.markdown_html(text)}</div>'
    return _html.section_html("card", "Model card", body)


def _fmt(value):
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.3f}"


def _metrics_section(ev):
    from specauth.openset import ood_metrics

    fom = ev["fom"]
    rows = [
        [
            "closed-set accuracy (known classes, no rejection)",
            _fmt(ev["closed_accuracy"]),
        ]
    ]
    names = {
        "TSNS": "total sensitivity (known accepted as their class)",
        "TSPS": "total specificity (never-trained rejected)",
        "TEFF": "total efficiency",
        "ACC": "open-set accuracy",
    }
    rows += [[f"{key}: {text}", _fmt(fom[key])] for key, text in names.items()]
    scores = ev["scores"]
    if scores is not None and ev["known"].any() and (~ev["known"]).any():
        metrics = ood_metrics(scores[ev["known"]], scores[~ev["known"]])
        rows += [[f"detector {key}", _fmt(value)] for key, value in metrics.items()]
    per_class = [
        [c, _fmt(fom["CSNS"][c]), _fmt(fom["CSPS"][c]), _fmt(fom["CEFF"][c])]
        for c in fom["CSNS"]
    ]
    body = _html.table_html(rows, header=["figure of merit", "value"])
    body += _html.table_html(per_class, header=["class", "CSNS", "CSPS", "CEFF"])
    return _html.section_html("metrics", "Figures of merit", body)


def _confusion_figure(ev):
    from specauth.explain.plots import plot_confusion_matrix

    ax = plot_confusion_matrix(ev["fom"], title="true class (rows) vs prediction")
    return _html.figure_html(
        "confusion-matrix",
        _html.png_bytes(ax.figure),
        "Confusion matrix; the last column counts spectra rejected as unknown.",
    )


def _score_figure(ev):
    if ev["scores"] is None:
        return '<p class="note">Closed-set model: no detector scores.</p>'
    from specauth.explain.plots import plot_score_histograms

    scores, known = ev["scores"], ev["known"]
    names = ["known classes", "never-trained"] if known.any() else ["never-trained"]
    ax = plot_score_histograms(
        scores[known] if known.any() else scores,
        unknown_scores=scores[~known] if known.any() and (~known).any() else None,
        threshold=ev["final"].detector_.threshold_,
        title="detector scores",
    )
    for patch, name in zip(ax.patches, names, strict=False):
        patch.set_label(name)
    ax.legend()
    return _html.figure_html(
        "score-histograms",
        _html.png_bytes(ax.figure),
        "Detector scores (higher = more like the training classes); spectra "
        "left of the threshold are rejected as unknown.",
    )


def _history_figure(final):
    from specauth.explain.plots import plot_history

    classifier = getattr(final, "classifier_", final)
    history = getattr(classifier, "history_", None)
    if not history or not history.get("loss"):
        return '<p class="note">No training history in this model.</p>'
    ax = plot_history(history, title="training")
    return _html.figure_html(
        "training-history",
        _html.png_bytes(ax.figure),
        "Loss and metrics per epoch with the learning rate per batch.",
    )


def _example_groups(ev, y, n):
    """First ``n`` indices of correct, wrong and rejected spectra."""
    rejected = ev["rejected"]
    correct = ev["known"] & ~rejected & (ev["labels"] == y)
    groups = {
        "correct": np.flatnonzero(correct),
        "wrong": np.flatnonzero(~rejected & ~correct),
        "rejected": np.flatnonzero(rejected),
    }
    return {name: idx[:n] for name, idx in groups.items()}


def _explanations_section(ev, X, y, n, model):
    import matplotlib.pyplot as plt

    from specauth.cli._importance import (
        IMPORTANCE_LABELS,
        display_axis,
        display_spectrum,
        importance_maps,
        sample_title,
    )
    from specauth.explain.plots import plot_spectrum_importance

    groups = _example_groups(ev, y, n)
    chosen = np.concatenate(list(groups.values())).astype(int)
    if chosen.size == 0 or n == 0:
        return _html.section_html(
            "explanations",
            "Example explanations",
            '<p class="note">No examples requested.</p>',
        )
    Xt = np.asarray(ev["Xt"])
    maps = dict(
        zip(chosen.tolist(), importance_maps(ev["final"], Xt[chosen]), strict=True)
    )
    classes = list(ev["final"].classes_)
    axis = display_axis(model, Xt.shape[-1])
    parts = []
    for name, indices in groups.items():
        parts.append(f"<h3>{name} ({len(indices)} shown)</h3>")
        if not len(indices):
            parts.append(f'<p class="note">No {name} spectra.</p>')
        for i in indices.tolist():
            fig, ax = plt.subplots(figsize=(9, 3.4), layout="constrained")
            title = sample_title(
                i, ev["labels"][i], ev["proba"][i], classes, ev["top"][i]
            )
            plot_spectrum_importance(
                display_spectrum(X[i], Xt[i], model),
                maps[i],
                ax=ax,
                title=title,
                axis=axis,
                importance_label=IMPORTANCE_LABELS["cam"],
            )
            caption = f"spectrum {i}: true {y[i]}, predicted {ev['labels'][i]}"
            parts.append(
                _html.figure_html(
                    f"explanation-{name}-{i}", _html.png_bytes(fig), caption
                )
            )
    return _html.section_html(
        "explanations", "Example explanations (CAM)", "".join(parts)
    )


def run(args: argparse.Namespace) -> Path:
    """Evaluate the model and write the HTML report.

    ``--out`` is checked before anything is read (not an input, writable);
    the page goes to a temporary file renamed to ``--out`` once complete.
    """
    import matplotlib

    matplotlib.use("Agg")
    from specauth._safe_write import atomic_output
    from specauth.cli._files import check_output_file, reading
    from specauth.cli._model import is_regression, load_classifier

    check_output_file(args)
    with reading("MODEL_DIR", args.model):
        model = load_classifier(args.model, regressor_ok=True)
    if is_regression(model):
        from specauth.cli._regression_report import regression_report

        return regression_report(args, model)
    X, y = _load(args, model)
    ev = _evaluate(model, X, y)
    sections = [
        _summary_section(model, X, ev),
        _metrics_section(ev),
        _html.section_html("confusion", "Confusion matrix", _confusion_figure(ev)),
        _html.section_html("detector", "Detector scores", _score_figure(ev)),
        _explanations_section(ev, X, y, args.examples, model),
        _html.section_html("history", "Training history", _history_figure(ev["final"])),
        _card_section(args.model),
    ]
    title = f"specauth report: {Path(args.model).name or args.model}"
    out = Path(args.out)
    page = _html.page_html(title, sections)
    with atomic_output(out) as temporary:
        temporary.write_text(page, encoding="utf-8")
    print(f"wrote the report on {len(X)} spectra to {out}", file=sys.stderr)
    return out
