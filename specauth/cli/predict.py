"""``specauth predict``: predict labels and probabilities with a saved model.

The spectra file is streamed: :func:`specauth.datasets.files.iter_spectra`
reads ``--batch-size`` spectra at a time with plain file reads (``.npy``,
``.npz``, HDF5, text), each chunk goes through the network in compiled calls
of the estimator's inference batch, and the CSV is written chunk by chunk, so
the peak memory is set by ``--batch-size``, not by the size of the file.
The CSV goes to a temporary file beside ``--out``, renamed into place when
every spectrum is predicted.
"""

from __future__ import annotations

import csv
import os
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from specauth.cli._axis import add_resample_argument
from specauth.cli._options import add_check, positive_int

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator

__all__ = ["add_parser", "run"]

_EXAMPLES = """\
examples:
  specauth predict my_model/ --x new_spectra.npy                 # CSV to stdout
  specauth predict my_model/ --x new.csv --out predictions.csv
  specauth predict my_model/ --x big.h5:/spectra --out p.csv --batch-size 4096
  specauth predict my_model/ --x other_instrument.csv --resample --out p.csv
  specauth predict pattern_model/ --x run42.h5:patterns --out run42_predictions.h5
  specauth predict my_model/ --x runs/*.npy --out-dir predictions/
  specauth predict my_model/ --x runs/*.h5 --out-dir p/ --scheduler local --workers 4
  specauth predict my_model/ --x runs/*.npy --out-dir p/ --scheduler tcp://10.0.0.5:8786

With an .h5 --out the predictions go to the group /predictions of that file
(labels, probabilities, detector scores), written batch by batch: run the
same command again after an interruption and it continues where it stopped.

With --out-dir each --x file gets its own CSV, DIR/STEM.csv (the same
content as --out would hold); with --scheduler the files are predicted in
parallel on Dask, each worker loading the model once and opening its files
itself (the paths must be the same on the workers: a shared file system).

A file whose axis (header row, axis column, npz/HDF5 axis, instrument file)
differs from the model's is refused, or interpolated onto the model's axis
with --resample.
"""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``predict`` command."""
    import argparse

    parser = commands.add_parser(
        "predict",
        help="predict with a saved model, writing CSV",
        description="Predict the class of each spectrum with a model folder "
        "written by `specauth train`; writes a CSV with the row index, the "
        "predicted label ('unknown' where the detector rejects the spectrum), "
        "the detector's score (higher = more like the training classes) and "
        "one probability column per known class. The spectra file is read "
        "and predicted --batch-size spectra at a time, so it may be larger "
        "than memory.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", metavar="MODEL_DIR", help="saved model folder")
    parser.add_argument(
        "--x",
        required=True,
        nargs="+",
        metavar="FILE",
        help="spectra file (.npy, .npz, .csv/.tsv/.txt, .h5/.hdf5 or FILE:/dataset); "
        "several files need --out-dir",
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        default=None,
        help="CSV file to write (default: standard output)",
    )
    parser.add_argument(
        "--out-dir",
        metavar="DIR",
        default=None,
        help="folder receiving one CSV per --x file (STEM.csv); existing files "
        "are refused unless --overwrite",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="with --out-dir: replace existing output files",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        type=_scheduler,
        default=None,
        help="predict the --x files on Dask: 'local' (worker processes on this "
        "machine) or a scheduler address tcp://HOST:PORT; needs --out-dir and "
        "pip install 'specauth[dask]'",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=2,
        help="worker processes of --scheduler local (default: %(default)s)",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=1024,
        help="spectra read and predicted per chunk (default: %(default)s)",
    )
    add_resample_argument(parser)
    add_check(parser, _check_options)
    parser.set_defaults(run=run)


def _scheduler(text: str) -> str:
    """``--scheduler``: ``local`` or a scheduler address (argparse type)."""
    import argparse

    from specauth.distributed import check_scheduler

    try:
        return check_scheduler(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(
            f"must be 'local' or a Dask scheduler address HOST:PORT "
            f"(e.g. tcp://10.0.0.5:8786); got {text!r}."
        ) from err


def _check_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Several files, --out-dir and --scheduler go together; --out is one file."""
    if args.out_dir is not None and args.out is not None:
        parser.error(
            "--out and --out-dir exclude each other: name one file or one folder."
        )
    if args.out_dir is None and (len(args.x) > 1 or args.scheduler is not None):
        why = "several --x files" if len(args.x) > 1 else "--scheduler"
        parser.error(f"{why} need --out-dir (one CSV per file is written there).")
    if args.overwrite and args.out_dir is None:
        parser.error("--overwrite applies to --out-dir.")


def _write_chunk(writer, start, outputs):
    """Write one CSV row per spectrum: index, label, [score], probabilities."""
    numbers = outputs["proba"]
    if outputs["scores"] is not None:
        numbers = np.column_stack([outputs["scores"], numbers])
    # Python floats: formatting numpy scalars one by one is several times slower.
    numbers = np.asarray(numbers, dtype=np.float64).tolist()
    writer.writerows(
        [start + offset, label, *[f"{value:.6g}" for value in row]]
        for offset, (label, row) in enumerate(
            zip(outputs["labels"], numbers, strict=True)
        )
    )


def _write_values(writer, start, outputs):
    """Write one CSV row per spectrum: index, predicted value(s)."""
    values = np.asarray(outputs["values"], dtype=np.float64)
    rows = values.reshape(len(values), -1).tolist()
    writer.writerows(
        [start + offset, *[f"{value:.6g}" for value in row]]
        for offset, row in enumerate(rows)
    )


def _write_csv(
    handle: IO[str],
    first: np.ndarray,
    chunks: Iterator[np.ndarray],
    x: str,
    model: Any,
) -> int:
    """Write the header and every chunk's rows; return the number of spectra."""
    from specauth.cli._files import reading
    from specauth.cli._model import predict_outputs, split_model

    writer = csv.writer(handle)
    final = split_model(model)[1]
    regression = hasattr(final, "n_outputs_")
    if regression:
        n_targets = int(final.n_outputs_)
        names = [f"value_{i}" for i in range(n_targets)] if n_targets > 1 else ["value"]
        writer.writerow(["index", *names])
    else:
        open_set = hasattr(final, "detector_")
        extra = ["ood_score"] if open_set else []
        classes = [str(c) for c in model.classes_]
        writer.writerow(["index", "label", *extra, *[f"p_{c}" for c in classes]])
    write = _write_values if regression else _write_chunk
    count = 0
    chunk: np.ndarray | None = first
    while chunk is not None:
        write(writer, count, predict_outputs(model, chunk))
        count += len(chunk)
        with reading("--x", x):
            chunk = next(chunks, None)
    return count


def _run_hdf5(args: argparse.Namespace) -> int:
    """``--out FILE.h5``: predictions into an HDF5 file, resumable.

    The input must be an HDF5 dataset (``data.h5:patterns``). An existing
    ``--out`` is only continued when it holds an interrupted run of the same
    prediction; any other existing file is refused, never modified.
    """
    from specauth.cli._files import check_output_file, input_path, reading, split_input
    from specauth.cli._model import load_classifier
    from specauth.datasets.hdf5_predictions import predict_to_hdf5, resumable

    text, key = split_input(args.x)
    source = Path(text)
    if source.suffix.lower() not in (".h5", ".hdf5"):
        raise ValueError(
            f"--out {args.out} is an HDF5 file, which needs an HDF5 --x "
            f"(FILE.h5:DATASET); got {input_path(args.x)}. Write a CSV --out instead."
        )
    check_output_file(args)
    with reading("MODEL_DIR", args.model):
        model = load_classifier(args.model, regressor_ok=True)
    dataset = key or "patterns"
    out = Path(args.out)
    if out.exists() and not resumable(out, model, source, dataset):
        raise ValueError(
            f"--out {out} exists and does not hold an interrupted prediction of "
            f"{source}:{dataset} by this model; name a new file (it is never "
            "overwritten)."
        )
    t0 = time.perf_counter()
    with reading("--x", args.x):
        predict_to_hdf5(
            model, source, out, dataset=dataset, batch_size=args.batch_size, verbose=1
        )
    seconds = time.perf_counter() - t0
    import h5py

    with h5py.File(out, "r") as handle:
        count = int(handle["predictions"].attrs["rows_done"])
    print(
        f"wrote {count} predictions to {out}:/predictions in {seconds:.1f} s",
        file=sys.stderr,
    )
    return count


def _open_spectra(
    x: str, batch_size: int
) -> tuple[np.ndarray, Iterator[np.ndarray], Any]:
    """``(first chunk, the other chunks, the file's axis)`` of a spectra file."""
    from specauth.cli._files import reading
    from specauth.datasets.files import iter_spectra, read_axis

    chunks = iter_spectra(x, batch_size=batch_size)
    with reading("--x", x):
        first = next(chunks)
        file_axis = read_axis(x)
    return first, chunks, file_axis


def _predict_opened(
    model: Any,
    opened: tuple[np.ndarray, Iterator[np.ndarray], Any],
    x: str,
    out: str | os.PathLike[str] | None,
    *,
    resample: bool,
    announce: bool,
) -> int:
    """Predict an opened file's chunks into the CSV ``out`` (None: stdout)."""
    from specauth._safe_write import atomic_output
    from specauth.cli._axis import spectra_on_model_axis

    first, chunks, file_axis = opened

    def on_model_axis(chunk, announce=False):
        return spectra_on_model_axis(
            model, chunk, file_axis, resample=resample, path=x, announce=announce
        )

    first = on_model_axis(first, announce=announce)
    if resample:
        chunks = (on_model_axis(chunk) for chunk in chunks)
    if out is None:
        return _write_csv(sys.stdout, first, chunks, x, model)
    with atomic_output(out) as tmp, open(tmp, "w", newline="") as handle:
        return _write_csv(handle, first, chunks, x, model)


def predict_file(
    model: Any,
    x: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    batch_size: int = 1024,
    resample: bool = False,
    announce: bool = True,
) -> int:
    """Predict every spectrum of one file and write the CSV of ``specauth predict``.

    The file is read ``batch_size`` spectra at a time, so it may be larger
    than memory; the CSV goes to a temporary file beside ``out``, renamed
    to ``out`` once every spectrum is predicted (an existing ``out`` is
    replaced then, and left as it was on an error).

    Parameters
    ----------
    model : Pipeline or estimator
        A classifier, open-set classifier or regressor loaded with
        :func:`specauth.hub.load_pretrained` (``specauth train``'s folders).
    x : str or path-like
        The spectra file (``.npy``, ``.npz``, text, HDF5 ``FILE.h5:DATASET``,
        instrument formats).
    out : str or path-like, default=None
        The CSV to write; ``None`` writes to standard output.
    batch_size : int, default=1024
        Spectra read and predicted at once.
    resample : bool, default=False
        Interpolate spectra on another axis than the model's onto it
        (otherwise they are refused with a ValueError).
    announce : bool, default=True
        Say on standard error when the spectra are resampled.

    Returns
    -------
    count : int
        Spectra predicted.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> X = np.random.default_rng(0).random((6, 4))
    >>> model = LogisticRegression().fit(X, ["a", "b"] * 3)
    >>> np.save(folder / "X.npy", X)
    >>> predict_file(model, folder / "X.npy", folder / "p.csv")
    6
    >>> (folder / "p.csv").read_text().splitlines()[0]
    'index,label,p_a,p_b'
    """
    x = os.fspath(x)
    opened = _open_spectra(x, batch_size)
    return _predict_opened(model, opened, x, out, resample=resample, announce=announce)


def _run_files(args: argparse.Namespace) -> int:
    """``--out-dir``: one CSV per ``--x`` file, on Dask with ``--scheduler``."""
    from specauth.distributed import connect, predict_files

    options = {
        "batch_size": args.batch_size,
        "resample": getattr(args, "resample", False),
        "overwrite": args.overwrite,
    }
    t0 = time.perf_counter()
    if args.scheduler is None:
        done = predict_files(args.model, args.x, args.out_dir, **options)
    else:
        with connect(args.scheduler, n_workers=args.workers) as client:
            done = predict_files(
                args.model, args.x, args.out_dir, client=client, **options
            )
    count = sum(summary["n_spectra"] for summary in done)
    where = f" on {args.scheduler}" if args.scheduler else ""
    print(
        f"wrote {count} predictions of {len(done)} files to {args.out_dir}"
        f"{where} in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
    return count


def run(args: argparse.Namespace) -> int:
    """Predict chunk by chunk and write the CSV; report spectra per second.

    ``--out`` is checked first (not an input, writable); the CSV goes to a
    temporary file beside it, renamed to ``--out`` only when every spectrum
    is predicted, so a failure leaves no partial file and an existing
    ``--out`` as it was. Several ``--x`` files, ``--out-dir`` or
    ``--scheduler`` go to :func:`_run_files`.
    """
    from specauth.cli._files import check_output_file, reading
    from specauth.cli._model import load_classifier

    if args.out_dir is not None:
        return _run_files(args)
    args.x = args.x[0]
    if args.out and Path(args.out).suffix.lower() in (".h5", ".hdf5"):
        return _run_hdf5(args)
    if args.out:
        check_output_file(args)
    opened = _open_spectra(args.x, args.batch_size)  # file errors first
    with reading("MODEL_DIR", args.model):
        model = load_classifier(args.model, regressor_ok=True)
    t0 = time.perf_counter()
    count = _predict_opened(
        model,
        opened,
        args.x,
        args.out,
        resample=getattr(args, "resample", False),
        announce=True,
    )
    seconds = time.perf_counter() - t0
    where = args.out or "standard output"
    print(
        f"wrote {count} predictions to {where} in {seconds:.1f} s "
        f"({count / max(seconds, 1e-9):.0f} spectra/s)",
        file=sys.stderr,
    )
    return count
