"""Predict a whole HDF5 dataset into an HDF5 file, resumably.

:func:`predict_to_hdf5` reads the samples a block at a time
(:class:`~specauth.datasets.HDF5Dataset`), predicts each batch and appends
the labels, probabilities and (for an open-set model) detector scores to
datasets of the output file, recording after every batch how many rows are
done; run again after an interruption, it continues where it stopped and
gives the same file as an uninterrupted run.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .._lazy import import_optional
from .hdf5 import HDF5Dataset

__all__ = ["predict_to_hdf5", "resumable", "BLOCK_BYTES"]

#: Bytes of samples read and predicted at once (the batch is lowered to fit).
BLOCK_BYTES = 32 * 2**20


def _bounded_batch(source, dataset, batch_size):
    """``batch_size``, lowered so that one batch of samples fits BLOCK_BYTES."""
    h5py = import_optional("h5py", purpose="read HDF5 files")
    try:
        with h5py.File(source, "r") as handle:
            node = handle.get(dataset)
            if node is None or len(node.shape) < 2:
                return batch_size  # HDF5Dataset says what is wrong
            row_bytes = int(np.prod(node.shape[1:])) * 4
    except OSError:
        return batch_size
    return max(1, min(batch_size, BLOCK_BYTES // max(row_bytes, 1)))


def _final(model):
    return model.steps[-1][1] if hasattr(model, "steps") else model


def _outputs(model: Any, x: np.ndarray) -> dict[str, np.ndarray]:
    """Labels, probabilities and (open-set models) scores of one batch; a
    regressor's predicted values."""
    final = _final(model)
    if hasattr(final, "n_outputs_"):  # a regressor
        return {"value": np.asarray(model.predict(x), dtype=np.float32)}
    details = getattr(model, "predict_details", None)
    if callable(details):  # an open-set model: one pass gives all three
        found = details(x)
        if found.proba is not None:
            return {
                "label": np.asarray(found.labels).astype(str),
                "proba": np.asarray(found.proba, dtype=np.float32),
                "score": np.asarray(found.scores, dtype=np.float32),
            }
    out = {
        "label": np.asarray(model.predict(x)).astype(str),
        "proba": np.asarray(model.predict_proba(x), dtype=np.float32),
    }
    if hasattr(final, "detector_") and hasattr(model, "score_samples"):
        out["score"] = np.asarray(model.score_samples(x), dtype=np.float32)
    return out


def _write_labels(results, row, stop, outputs, label_length):
    encoded = np.char.encode(outputs["label"], "utf-8")
    if encoded.dtype.itemsize > label_length:
        raise ValueError(
            f"A label is longer than label_length={label_length} bytes; "
            "pass a larger label_length."
        )
    results["label"][row:stop] = encoded
    results["proba"][row:stop] = outputs["proba"]


def _spec(model, source, dataset, n_rows):
    return {
        "source_file": str(Path(source).resolve()),
        "source_dataset": dataset,
        "n_rows": int(n_rows),
        "classes": [str(c) for c in getattr(model, "classes_", [])],
    }


def _check_resumable(group, spec, out):
    for key, value in spec.items():
        stored = group.attrs.get(key)
        if isinstance(stored, np.ndarray):
            stored = [s.decode() if isinstance(s, bytes) else str(s) for s in stored]
        elif isinstance(stored, bytes):
            stored = stored.decode()
        elif isinstance(stored, np.integer):
            stored = int(stored)
        if stored != value:
            raise ValueError(
                f"{out} already holds predictions of another run ({key} is "
                f"{stored!r}, not {value!r}); choose another output file or group."
            )


def resumable(
    out: str | os.PathLike[str],
    model: Any,
    source: str | os.PathLike[str],
    dataset: str = "patterns",
    group: str = "predictions",
) -> bool:
    """Whether ``out`` holds predictions of ``source`` by ``model`` to continue.

    False for a file that is not HDF5, has no such group, or whose group
    records another source, dataset or set of classes.
    """
    h5py = import_optional("h5py", purpose="read HDF5 files")
    try:
        with h5py.File(out, "r") as handle:
            if group not in handle:
                return False
            results = handle[group]
            with h5py.File(source, "r") as src:
                n_rows = src[dataset].shape[0] if dataset in src else -1
            _check_resumable(results, _spec(model, source, dataset, n_rows), out)
    except (OSError, ValueError, KeyError):
        return False
    return True


def predict_to_hdf5(
    model: Any,
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    dataset: str = "patterns",
    group: str = "predictions",
    batch_size: int = 256,
    label_length: int = 64,
    verbose: int = 0,
) -> Path:
    """Predict every sample of an HDF5 dataset into datasets of an HDF5 file.

    The output group holds ``label`` (fixed-length UTF-8 strings),
    ``proba`` (n, n_classes) and, for an open-set model, ``score`` -- or,
    for a regressor, ``value`` (n,) or (n, n_targets); its attributes record
    the source, the classes and ``rows_done``. Memory
    stays at one block of samples whatever the number of samples.

    Parameters
    ----------
    model : fitted classifier or Pipeline
        Anything with ``predict`` and ``predict_proba`` (and ``score_samples``
        for open-set models) taking a batch of samples as stored.
    source : str or path-like
        The HDF5 file of samples (never written to).
    out : str or path-like
        The HDF5 file to write (created; an existing file is only appended
        to: the group must be new, or hold an interrupted run of the same
        prediction, which is then continued).
    dataset : str, default="patterns"
        The dataset of samples in ``source``.
    group : str, default="predictions"
        The group of ``out`` that receives the predictions.
    batch_size : int, default=256
        Samples predicted at once (and rows between two checkpoints), lowered
        so that a batch of samples takes at most :data:`BLOCK_BYTES`.
    label_length : int, default=64
        Bytes stored per label.
    verbose : int, default=0
        ``>= 1`` prints progress (rows done, patterns/s) to stderr.

    Returns
    -------
    out : Path

    Raises
    ------
    ValueError
        When ``out`` is ``source``, when the group holds predictions of
        another run, or a label is longer than ``label_length`` bytes.

    Examples
    --------
    >>> import tempfile, os
    >>> import h5py, numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> folder = tempfile.mkdtemp()
    >>> X = np.random.default_rng(0).random((40, 8))
    >>> y = np.array(["a", "b"] * 20)
    >>> with h5py.File(os.path.join(folder, "in.h5"), "w") as f:
    ...     f["spectra"] = X
    >>> model = LogisticRegression().fit(X, y)
    >>> out = predict_to_hdf5(model, os.path.join(folder, "in.h5"),
    ...                       os.path.join(folder, "out.h5"), dataset="spectra")
    >>> with h5py.File(out) as f:
    ...     f["predictions/label"].shape, int(f["predictions"].attrs["rows_done"])
    ((40,), 40)
    """
    h5py = import_optional("h5py", purpose="write predictions to HDF5 files")
    source, out = Path(os.fspath(source)), Path(os.fspath(out))
    if out.exists() and source.exists() and os.path.samefile(out, source):
        raise ValueError(
            f"The output {out} is the input file; predictions are written to "
            "another file so that the data stays intact."
        )
    data = HDF5Dataset(
        source,
        dataset,
        batch_size=_bounded_batch(source, dataset, batch_size),
        add_channel=False,
        block_bytes=BLOCK_BYTES,
    )
    spec = _spec(model, source, dataset, data.n_samples)
    n_classes = len(spec["classes"])
    start_time, done_before = time.perf_counter(), 0
    with h5py.File(out, "a") as handle:
        if group in handle:
            results = handle[group]
            _check_resumable(results, spec, out)
            done_before = int(results.attrs["rows_done"])
        else:
            results = handle.create_group(group)
            for key, value in spec.items():
                results.attrs[key] = value
            results.attrs["rows_done"] = 0
            n = data.n_samples
            final = _final(model)
            if hasattr(final, "n_outputs_"):  # a regressor's values
                width = int(final.n_outputs_)
                shape = (n,) if getattr(final, "target_ndim_", 1) == 1 else (n, width)
                results.create_dataset("value", shape, dtype="float32")
            else:
                results.create_dataset("label", (n,), dtype=f"S{label_length}")
                results.create_dataset("proba", (n, n_classes), dtype="float32")
        row = 0
        for index in range(len(data)):
            x = data[index][0]
            stop = row + len(x)
            if stop <= done_before:
                row = stop
                continue
            outputs = _outputs(model, x)
            if "value" in outputs:
                results["value"][row:stop] = outputs["value"]
            else:
                _write_labels(results, row, stop, outputs, label_length)
            if "score" in outputs:
                if "score" not in results:
                    results.create_dataset("score", (data.n_samples,), dtype="float32")
                results["score"][row:stop] = outputs["score"]
            results.attrs["rows_done"] = stop
            handle.flush()
            row = stop
            if verbose:
                rate = (stop - done_before) / max(
                    time.perf_counter() - start_time, 1e-9
                )
                print(
                    f"\r{stop}/{data.n_samples} rows ({rate:.0f}/s)",
                    end="",
                    file=sys.stderr,
                )
        if verbose:
            print(file=sys.stderr)
    data.close()
    return out
