"""``specauth train``: fit a classifier on files and save it to a folder."""

from __future__ import annotations

import time

from specauth.cli._pipeline import (
    add_model_arguments,
    build_pipeline,
    classifier_from_args,
    final_step_from_args,
)

__all__ = ["add_parser", "run"]

_EXAMPLES = """\
examples:
  specauth train --x spectra.npy --y labels.csv --out my_model/
  specauth train --x X.npy --y y.csv --out m/ --detector energy --alpha 0.01
  specauth train --x spectra.csv --y labels.csv --out m/ --crop 0:2631 --lr find
  specauth train --x data.h5:/spectra --y labels.txt --out m/ --normalize snv --no-log
  specauth train --x X.npy --y y.csv --out m2d/ --model mobilenetv2 --imaging gasf \
                 --image-size 224 --weights mobilenet_v2.weights.h5 --pixels torch

X files: .npy, .npz, .csv/.tsv/.txt (one spectrum per row, optional header),
.h5/.hdf5 (FILE or FILE:/dataset). Label files: one label per line.
"""


def add_parser(commands):
    """Register the ``train`` command."""
    import argparse

    parser = commands.add_parser(
        "train",
        help="train a classifier on spectra files and save it",
        description="Train preprocessing + CNNClassifier and save the fitted "
        "pipeline to a folder that `specauth predict` reads.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--x", required=True, metavar="FILE", help="spectra file")
    parser.add_argument("--y", required=True, metavar="FILE", help="labels file")
    parser.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="folder to write the trained model to",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_model_arguments(parser)
    parser.set_defaults(run=run)


def run(args):
    """Train and save; print a one-line summary."""
    from specauth.datasets import read_labels, read_spectra
    from specauth.hub import save_pretrained

    X = read_spectra(args.x)
    y = read_labels(args.y, n_expected=len(X))
    classifier = classifier_from_args(args, verbose=0 if args.quiet else 1)
    pipe = build_pipeline(args, final_step_from_args(args, classifier))
    t0 = time.perf_counter()
    pipe.fit(X, y)
    seconds = time.perf_counter() - t0
    folder = save_pretrained(pipe, args.out)
    accuracy = pipe.score(X, y)
    print(
        f"trained on {len(X)} spectra of {X.shape[1]} points, "
        f"{len(pipe.classes_)} classes in {seconds:.1f} s "
        f"(training accuracy {accuracy:.3f}); saved to {folder}"
    )
    return folder
