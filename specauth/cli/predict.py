"""``specauth predict``: predict labels and probabilities with a saved model.

The spectra file is streamed: :func:`specauth.datasets.files.iter_spectra`
reads ``--batch-size`` spectra at a time with plain file reads (``.npy``,
``.npz``, HDF5, text), each chunk goes through the network in compiled calls
of the estimator's inference batch, and the CSV is written chunk by chunk, so
the peak memory is set by ``--batch-size``, not by the size of the file.
"""

from __future__ import annotations

import csv
import sys
import time
from typing import TYPE_CHECKING

import numpy as np

from specauth.cli._options import positive_int

if TYPE_CHECKING:
    import argparse

__all__ = ["add_parser", "run"]

_EXAMPLES = """\
examples:
  specauth predict my_model/ --x new_spectra.npy                 # CSV to stdout
  specauth predict my_model/ --x new.csv --out predictions.csv
  specauth predict my_model/ --x big.h5:/spectra --out p.csv --batch-size 4096
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
        metavar="FILE",
        help="spectra file (.npy, .npz, .csv/.tsv/.txt, .h5/.hdf5 or FILE:/dataset)",
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        default=None,
        help="CSV file to write (default: standard output)",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=1024,
        help="spectra read and predicted per chunk (default: %(default)s)",
    )
    parser.set_defaults(run=run)


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


def run(args: argparse.Namespace) -> int:
    """Predict chunk by chunk and write the CSV; report spectra per second."""
    from specauth.cli._model import load_classifier, predict_outputs, split_model
    from specauth.datasets.files import iter_spectra

    chunks = iter_spectra(args.x, batch_size=args.batch_size)
    first = next(chunks)  # file errors before the model loads or --out opens
    model = load_classifier(args.model)
    classes = [str(c) for c in model.classes_]
    open_set = hasattr(split_model(model)[1], "detector_")
    t0 = time.perf_counter()
    count = 0
    handle = open(args.out, "w", newline="") if args.out else sys.stdout
    try:
        writer = csv.writer(handle)
        extra = ["ood_score"] if open_set else []
        writer.writerow(["index", "label", *extra, *[f"p_{c}" for c in classes]])
        chunk: np.ndarray | None = first
        while chunk is not None:
            _write_chunk(writer, count, predict_outputs(model, chunk))
            count += len(chunk)
            chunk = next(chunks, None)
    finally:
        if args.out:
            handle.close()
    seconds = time.perf_counter() - t0
    where = args.out or "standard output"
    print(
        f"wrote {count} predictions to {where} in {seconds:.1f} s "
        f"({count / max(seconds, 1e-9):.0f} spectra/s)",
        file=sys.stderr,
    )
    return count
