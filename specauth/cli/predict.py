"""``specauth predict``: predict labels and probabilities with a saved model."""

from __future__ import annotations

import csv
import sys

__all__ = ["add_parser", "run"]

_EXAMPLES = """\
examples:
  specauth predict my_model/ --x new_spectra.npy                 # CSV to stdout
  specauth predict my_model/ --x new.csv --out predictions.csv
"""


def add_parser(commands):
    """Register the ``predict`` command."""
    import argparse

    parser = commands.add_parser(
        "predict",
        help="predict with a saved model, writing CSV",
        description="Predict the class of each spectrum with a model folder "
        "written by `specauth train`; writes a CSV with the row index, the "
        "predicted label ('unknown' where the detector rejects the spectrum), "
        "the detector's score (higher = more like the training classes) and "
        "one probability column per known class.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", metavar="MODEL_DIR", help="saved model folder")
    parser.add_argument("--x", required=True, metavar="FILE", help="spectra file")
    parser.add_argument(
        "--out",
        metavar="FILE",
        default=None,
        help="CSV file to write (default: standard output)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1024,
        help="spectra predicted per chunk (default: %(default)s)",
    )
    parser.set_defaults(run=run)


def run(args):
    """Predict in chunks and write the CSV."""
    from specauth.datasets import read_spectra
    from specauth.hub import load_pretrained

    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1; got {args.batch_size}.")
    model = load_pretrained(args.model)
    X = read_spectra(args.x)
    classes = [str(c) for c in model.classes_]
    open_set = hasattr(model, "score_samples")
    handle = open(args.out, "w", newline="") if args.out else sys.stdout
    try:
        writer = csv.writer(handle)
        extra = ["ood_score"] if open_set else []
        writer.writerow(["index", "label", *extra, *[f"p_{c}" for c in classes]])
        for start in range(0, len(X), args.batch_size):
            chunk = X[start : start + args.batch_size]
            proba = model.predict_proba(chunk)
            labels = model.predict(chunk)
            scores = model.score_samples(chunk) if open_set else [None] * len(chunk)
            for offset, (label, score, row) in enumerate(
                zip(labels, scores, proba, strict=True)
            ):
                extra = [f"{score:.6g}"] if open_set else []
                writer.writerow(
                    [start + offset, label, *extra, *[f"{p:.6g}" for p in row]]
                )
    finally:
        if args.out:
            handle.close()
    if args.out:
        print(f"wrote {len(X)} predictions to {args.out}", file=sys.stderr)
