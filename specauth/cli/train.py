"""``specauth train``: fit a classifier on files and save it to a folder.

``--out`` is checked before any file is read or any network trained, and the
model is written to a temporary folder beside it, moved into place once
complete.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from specauth.cli._axis import add_axis_label_argument
from specauth.cli._options import fraction
from specauth.cli._pipeline import (
    add_model_arguments,
    build_pipeline,
    classifier_from_args,
    final_step_from_args,
    regressor_from_args,
)
from specauth.cli._regression import TASKS, regression_metrics, resolve_task

if TYPE_CHECKING:
    import argparse

__all__ = ["add_parser", "run"]

_EXAMPLES = """\
examples:
  specauth train --x spectra.npy --y labels.csv --out my_model/
  specauth train --x X.npy --y y.csv --out m/ --detector energy --alpha 0.01
  specauth train --x spectra.csv --y labels.csv --out m/ --crop 0:2631 --lr find
  specauth train --x data.h5:/spectra --y labels.txt --out m/ --normalize snv --no-log
  specauth train --x X.npy --y y.csv --out m/ --validation-fraction 0.2
  specauth train --x ir.csv --y y.csv --out m/ --crop 1000:1800 --normalize snv --no-log
  specauth train --x archive/ --out m/      # archive/<class>/*.spe, *.jdx, *.csv ...
  specauth train --x run42.h5:patterns --y run42.h5:labels --out patterns_model/
  specauth train --x X.npy --y y.csv --out m2d/ --model mobilenetv2 --imaging gasf \\
                 --image-size 224 --weights mobilenet_v2.weights.h5 --pixels torch

X files: .npy, .npz, .csv/.tsv/.txt (one spectrum per row under an optional
header row of axis values, or one per column beside an axis column),
.h5/.hdf5 (FILE or FILE:/dataset), JCAMP-DX .jdx/.dx, Ortec .Spe/.Chn,
Canberra .cnf, .spc, two-column .xy/.dat; or a folder of them, one
sub-folder per class. Label files: one label per line. The axis of the file
(wavenumbers, energies ...) is kept in the model: --crop takes axis values
when there is one (indices otherwise), and explanations are drawn on it.
With --validation-fraction, the model is trained on the rest of the spectra
and its closed-set accuracy on the held-out ones goes into the model card.
"""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    parser.add_argument(
        "--x",
        required=True,
        metavar="FILE|DIR",
        help="spectra file, or a folder of files in one sub-folder per class "
        "(the sub-folder names are the labels; files on different axes are "
        "interpolated onto their common range)",
    )
    parser.add_argument(
        "--y",
        default=None,
        metavar="FILE",
        help="labels file, one per spectrum (required unless --x is a folder)",
    )
    parser.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="folder to write the trained model to",
    )
    parser.add_argument(
        "--validation-fraction",
        type=fraction,
        default=None,
        metavar="F",
        help="hold out this stratified fraction of the spectra, train on the "
        "rest, and record the closed-set accuracy on the held-out spectra in "
        "the model card (default: no hold-out, no metrics)",
    )
    parser.add_argument(
        "--task",
        choices=TASKS,
        default="auto",
        help="classification, or regression of the numbers in --y (one column "
        "of values per spectrum); auto: regression when --y holds numbers with "
        "fractions or more than 20 distinct values (default: %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_axis_label_argument(parser)
    add_model_arguments(parser)
    parser.set_defaults(run=run)


def _split(args, X, y, *, stratify=True):
    """``(X_train, y_train, X_valid, y_valid)``; no validation part without F."""
    if args.validation_fraction is None:
        return X, y, None, None
    from sklearn.model_selection import train_test_split

    try:
        X_train, X_valid, y_train, y_valid = train_test_split(
            X,
            y,
            test_size=args.validation_fraction,
            stratify=y if stratify else None,
            random_state=args.seed,
        )
    except ValueError as err:
        raise ValueError(
            f"--validation-fraction {args.validation_fraction} cannot hold out "
            f"a stratified set from {len(y)} spectra: {err}"
        ) from err
    return X_train, y_train, X_valid, y_valid


def _validation_metrics(pipe, X_valid, y_valid):
    """Figures of merit of a fitted pipeline on held-out known-class spectra.

    ``accuracy``: closed-set accuracy (the most probable class, no rejection);
    for an open-set model also ``TSNS``: the fraction accepted *and* given
    their class (total sensitivity; rejection counts as an error here).
    """
    import numpy as np

    proba = np.asarray(pipe.predict_proba(X_valid))
    top = np.asarray(pipe.classes_)[np.argmax(proba, axis=1)]
    y_valid = np.asarray(y_valid)
    metrics = {"accuracy": float(np.mean(top == y_valid))}
    if hasattr(pipe.steps[-1][1], "detector_"):
        metrics["TSNS"] = float(np.mean(np.asarray(pipe.predict(X_valid)) == y_valid))
    return metrics


def _streamed(x: str) -> bool:
    """Whether ``--x`` names an HDF5 dataset of 2D patterns (trained as a stream)."""
    from specauth.cli._files import split_input

    text, key = split_input(x)
    file = Path(text)
    if file.suffix.lower() not in (".h5", ".hdf5") or not file.is_file():
        return False
    import h5py

    key = key or "patterns"
    try:
        with h5py.File(file, "r") as handle:
            node = handle.get(key)
            return isinstance(node, h5py.Dataset) and node.ndim in (3, 4)
    except OSError:
        return False  # the reader says what is wrong


def _stream_labels(args, file, n_rows):
    """``--y``: a label file (one per pattern) or a dataset of an HDF5 file."""
    from specauth.cli._files import reading, split_input
    from specauth.datasets import read_labels

    if args.y is None:
        raise ValueError(
            "--y is required with an HDF5 --x: a label file (one label per "
            "pattern) or a dataset of the same file (--y data.h5:labels)."
        )
    y_text, y_key = split_input(args.y)
    y_file = Path(y_text)
    same_file = y_file.is_file() and y_file.resolve() == file.resolve()
    if same_file and y_file.suffix.lower() in (".h5", ".hdf5"):
        return y_key or "labels"  # read by the stream itself
    with reading("--y", args.y):
        return read_labels(args.y, n_expected=n_rows)


def _train_stream(args: argparse.Namespace) -> Path:
    """Train a pattern network on an HDF5 dataset read a block at a time.

    The patterns are never loaded whole: the network trains on an
    :class:`~specauth.datasets.HDF5Dataset` (shuffled by blocks); with a
    ``--detector`` (the default ``knn``) it is wrapped in an
    OpenSetClassifier whose detector is fitted on the network's embedding of
    the stream, computed batch by batch.
    """
    import h5py

    from specauth._safe_write import atomic_folder
    from specauth.cli._files import reading, split_input
    from specauth.datasets.hdf5 import HDF5Dataset
    from specauth.hub import save_pretrained

    text, key = split_input(args.x)
    file, key = Path(text), key or "patterns"
    with reading("--x", args.x), h5py.File(file, "r") as handle:
        n_rows = handle[key].shape[0]
    labels = _stream_labels(args, file, n_rows)
    if args.model == "cnn1d":  # the default of spectra
        args.model = "resnet2d"
        print("patterns (2D) in --x: using --model resnet2d (give --model to choose)")
    with reading("--x", args.x):
        stream = HDF5Dataset(
            file,
            key,
            labels=labels,
            batch_size=args.batch_size,
            shuffle=True,
            random_state=args.seed,
        )
    classifier = classifier_from_args(args, verbose=0 if args.quiet else 1)
    if args.validation_fraction is not None:
        classifier.set_params(validation_fraction=args.validation_fraction)
    model = final_step_from_args(args, classifier)
    t0 = time.perf_counter()
    model.fit(stream)
    seconds = time.perf_counter() - t0
    with atomic_folder(args.out) as scratch:
        save_pretrained(model, scratch)
    folder = Path(args.out)
    detector = getattr(model, "detector_", None)
    rejects = (
        ""
        if detector is None
        else f", {type(detector).__name__} rejecting alpha={detector.alpha}"
    )
    print(
        f"trained on {stream.n_samples} patterns of shape {stream.sample_shape}, "
        f"{len(model.classes_)} classes{rejects} in {seconds:.1f} s, streamed "
        f"from {file}:{key}; saved to {folder}"
    )
    return folder


def run(args: argparse.Namespace) -> Path:
    """Train and save; print a one-line summary.

    ``--out`` is checked before anything is read or trained: it must not be
    an input, must be writable, and must be new, empty or a specauth model
    folder. An existing ``--out`` is copied to a temporary folder beside it,
    the model saved there by ``save_pretrained`` (which replaces only the
    model's own files) and the folder moved into place only when complete.
    """
    from specauth._safe_write import atomic_folder
    from specauth.cli._axis import (
        check_crop,
        describe_steps,
        read_training_data,
        with_axis,
    )
    from specauth.cli._files import check_output_folder
    from specauth.hub import save_pretrained

    check_output_folder(args, replaced=True)
    if _streamed(args.x):
        return _train_stream(args)
    X, y, axis = read_training_data(args)
    check_crop(args, axis)
    task, y = resolve_task(args.task, y)
    if task == "regression":
        return _train_regressor(args, X, y, axis)
    X_train, y_train, X_valid, y_valid = _split(args, X, y)
    classifier = classifier_from_args(args, verbose=0 if args.quiet else 1)
    pipe = build_pipeline(args, final_step_from_args(args, classifier))
    pipe = with_axis(pipe, axis, X)
    t0 = time.perf_counter()
    pipe.fit(X_train, y_train)
    seconds = time.perf_counter() - t0
    for line in describe_steps(pipe):
        print(line)
    metrics = None if X_valid is None else _validation_metrics(pipe, X_valid, y_valid)
    with atomic_folder(args.out) as scratch:
        save_pretrained(pipe, scratch, metrics=metrics)
    folder = Path(args.out)
    accuracy = pipe.score(X_train, y_train)
    held_out = (
        ""
        if metrics is None
        else f", held-out accuracy {metrics['accuracy']:.3f} on {len(X_valid)}"
    )
    print(
        f"trained on {len(X_train)} spectra of {X.shape[1]} points, "
        f"{len(pipe.classes_)} classes in {seconds:.1f} s "
        f"(training accuracy {accuracy:.3f}{held_out}); saved to {folder}"
    )
    return folder


def _train_regressor(args: argparse.Namespace, X, y, axis) -> Path:
    """Train preprocessing + CNNRegressor on numeric ``y``; save; summarise."""
    from sklearn.pipeline import Pipeline

    from specauth._safe_write import atomic_folder
    from specauth.cli._axis import describe_steps, with_axis
    from specauth.cli._pipeline import preprocessing_steps
    from specauth.hub import save_pretrained

    X_train, y_train, X_valid, y_valid = _split(args, X, y, stratify=False)
    regressor = regressor_from_args(args, verbose=0 if args.quiet else 1)
    pipe = Pipeline([*preprocessing_steps(args), ("regressor", regressor)])
    pipe = with_axis(pipe, axis, X)
    t0 = time.perf_counter()
    pipe.fit(X_train, y_train)
    seconds = time.perf_counter() - t0
    for line in describe_steps(pipe):
        print(line)
    metrics = None
    held_out = ""
    if X_valid is not None:
        metrics = regression_metrics(y_valid, pipe.predict(X_valid))
        held_out = (
            f", held-out RMSE {metrics['RMSE']:.4g}, R2 {metrics['R2']:.3f} on "
            f"{len(X_valid)}"
        )
    with atomic_folder(args.out) as scratch:
        save_pretrained(pipe, scratch, metrics=metrics)
    folder = Path(args.out)
    fitted = regression_metrics(y_train, pipe.predict(X_train))
    n_targets = 1 if y.ndim == 1 else y.shape[1]
    print(
        f"trained a regressor of {n_targets} target{'s' * (n_targets > 1)} on "
        f"{len(X_train)} spectra of {X.shape[1]} points in {seconds:.1f} s "
        f"(training RMSE {fitted['RMSE']:.4g}, R2 {fitted['R2']:.3f}{held_out}); "
        f"saved to {folder}"
    )
    return folder
