"""Predict many spectra files, one output file per input, on a Dask cluster.

Each task is one input file: the worker opens it itself (HDF5 handles and
file objects never travel), predicts it with the model folder, loaded once
per worker process and kept for the next files, and writes the CSV that
``specauth predict`` writes for that file, through a temporary file renamed
into place. Without a client the files are predicted one after the other in
this process, by the same function: the outputs are the same.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specauth._safe_write import check_not_input, check_writable
from specauth._validation import Interval, check_bool, check_scalar

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["output_paths", "predict_files"]

_SUFFIX = ".csv"
#: Models loaded in this process: (resolved folder, config mtime) -> model.
_MODELS: dict[tuple[str, int], Any] = {}
#: How many times this process loaded a model folder.
_LOADS = {"count": 0}
_LOCK = threading.Lock()


def _file_of(x: str) -> Path:
    """The file of an input (``"run.h5:/spectra"`` gives ``run.h5``)."""
    path = Path(x)
    if path.exists() or ":" not in x:
        return path
    base = x.rpartition(":")[0]
    return Path(base) if base else path


def output_paths(
    files: Iterable[str | os.PathLike[str]], out_dir: str | os.PathLike[str]
) -> list[Path]:
    """The output of each input: ``out_dir / (file stem + ".csv")``.

    Parameters
    ----------
    files : list of str or path-like
        Spectra files (HDF5 inputs as ``FILE.h5:DATASET``).
    out_dir : str or path-like
        The folder of the outputs.

    Returns
    -------
    outputs : list of Path
        One per input, in order.

    Raises
    ------
    ValueError
        When two inputs would write the same output.

    Examples
    --------
    >>> [p.as_posix() for p in output_paths(["a/run1.npy", "b.h5:/x"], "out")]
    ['out/run1.csv', 'out/b.csv']
    >>> output_paths(["a/run1.npy", "b/run1.csv"], "out")
    Traceback (most recent call last):
    ...
    ValueError: `files` b/run1.csv and a/run1.npy would both write out/run1.csv; ...
    """
    outputs: list[Path] = []
    seen: dict[Path, str] = {}
    for x in files:
        text = os.fspath(x)
        out = Path(out_dir) / (_file_of(text).stem + _SUFFIX)
        if out in seen:
            raise ValueError(
                f"`files` {text} and {seen[out]} would both write {out.as_posix()}; "
                "rename one of them or predict them into different folders."
            )
        seen[out] = text
        outputs.append(out)
    return outputs


def _check_jobs(
    files: list[str], outputs: list[Path], model_dir: str, overwrite: bool
) -> None:
    """Refuse missing inputs and outputs that exist or would damage an input."""
    if not files:
        raise ValueError("`files` must name at least one spectra file; got none.")
    if not (Path(model_dir) / "config.json").is_file():
        raise ValueError(
            f"`model_dir` {model_dir} is not a model folder (no config.json); "
            "pass a folder written by `specauth train` or save_pretrained."
        )
    inputs = {f"`files` {x}": str(_file_of(x)) for x in files}
    inputs["`model_dir`"] = model_dir
    for x, out in zip(files, outputs, strict=True):
        if not _file_of(x).is_file():
            raise ValueError(f"`files`: no such spectra file: {x}")
        if out.exists() and not overwrite:
            raise ValueError(
                f"the output {out} of {x} exists; remove it, choose another "
                "`out_dir`, or pass overwrite=True (--overwrite) to replace it."
            )
        check_not_input(out, inputs, option="output")
        check_writable(out, option="output")


def _model(model_dir: str) -> Any:
    """The model of ``model_dir``, loaded once per process (and per change)."""
    from specauth.hub import load_pretrained

    folder = os.path.realpath(model_dir)
    key = (folder, os.stat(Path(folder) / "config.json").st_mtime_ns)
    with _LOCK:
        if key not in _MODELS:
            _MODELS.clear()  # one model at a time per worker
            _MODELS[key] = load_pretrained(folder)
            _LOADS["count"] += 1
        return _MODELS[key]


def _predict_one(
    model_dir: str,
    x: str,
    out: str,
    batch_size: int,
    resample: bool,
    overwrite: bool,
) -> dict[str, Any]:
    """Predict one file into ``out`` (runs on a worker); a summary of the file."""
    from specauth.cli.predict import predict_file

    if not overwrite and os.path.exists(out):
        raise ValueError(f"the output {out} of {x} exists (written meanwhile?).")
    t0 = time.perf_counter()
    count = predict_file(
        _model(model_dir),
        x,
        out,
        batch_size=batch_size,
        resample=resample,
        announce=False,
    )
    return {
        "input": x,
        "output": out,
        "n_spectra": count,
        "seconds": time.perf_counter() - t0,
        "pid": os.getpid(),
    }


def _report(done: int, total: int, summary: dict[str, Any]) -> None:
    print(
        f"[{done}/{total}] {summary['input']} -> {summary['output']}: "
        f"{summary['n_spectra']} spectra in {summary['seconds']:.1f} s",
        file=sys.stderr,
        flush=True,
    )


def _on_cluster(client: Any, jobs: list[tuple[Any, ...]]) -> Iterator[dict[str, Any]]:
    """Submit one task per file; yield summaries as they finish (errors raise)."""
    from specauth.distributed._dask import import_distributed

    distributed = import_distributed("predict files on a Dask cluster")
    futures = [
        client.submit(_predict_one, *job, key=f"specauth-predict-{i}-{job[2]}")
        for i, job in enumerate(jobs)
    ]
    try:
        for future in distributed.as_completed(futures):
            yield future.result()
    finally:
        client.cancel([f for f in futures if not f.done()])


def predict_files(
    model_dir: str | os.PathLike[str],
    files: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    client: Any = None,
    batch_size: int = 1024,
    resample: bool = False,
    overwrite: bool = False,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Predict each spectra file into its own CSV, on a Dask cluster or here.

    Every input gets ``out_dir / (stem + ".csv")``, the CSV that
    ``specauth predict MODEL_DIR --x FILE --out OUT`` writes (row index,
    label, detector score for an open-set model, one probability per class;
    values for a regressor). On a cluster each file is one task: the worker
    opens the file itself, loads the model folder once (and keeps it for its
    next files) and writes the output through a temporary file renamed into
    place, so an output is either complete or absent. Inputs, the model
    folder and ``out_dir`` must be at the same paths on the workers as here
    (a shared file system).

    Parameters
    ----------
    model_dir : str or path-like
        A model folder written by ``specauth train`` or
        :func:`specauth.hub.save_pretrained` (a classifier, open-set
        classifier or regressor, possibly after preprocessing steps).
    files : list of str or path-like
        Spectra files (``.npy``, ``.npz``, text, ``FILE.h5:DATASET``,
        instrument formats); their stems must differ.
    out_dir : str or path-like
        Folder of the outputs (created if missing).
    client : distributed.Client, default=None
        The cluster to run on (:func:`~specauth.distributed.local_client`,
        :func:`~specauth.distributed.connect`); ``None`` predicts the files
        one after the other in this process.
    batch_size : int, default=1024
        Spectra read and predicted at once within a file.
    resample : bool, default=False
        Interpolate spectra on another axis onto the model's (otherwise
        such a file fails with a ValueError).
    overwrite : bool, default=False
        Replace existing outputs; by default an existing output is an error
        raised before any work.
    progress : bool, default=True
        Print one line per finished file to standard error.

    Returns
    -------
    summaries : list of dict
        One per input, in the order of ``files``: ``"input"``, ``"output"``,
        ``"n_spectra"``, ``"seconds"`` (of that file's prediction) and
        ``"pid"`` (the process that predicted it).

    Raises
    ------
    ValueError
        Before any work: a missing input, an existing output (unless
        ``overwrite``), two inputs with the same output, an output that is
        an input; while predicting: the first file that fails (the other
        tasks are cancelled; finished outputs stay).

    See Also
    --------
    specauth.distributed.local_client : A cluster on this machine.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from specauth.hub import save_pretrained
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> X = np.random.default_rng(0).random((6, 4))
    >>> _ = save_pretrained(LogisticRegression().fit(X, ["a", "b"] * 3),
    ...                     folder / "model")
    >>> for name in ("run1", "run2"):
    ...     np.save(folder / f"{name}.npy", X)
    >>> done = predict_files(folder / "model", [folder / "run1.npy",
    ...                      folder / "run2.npy"], folder / "out", progress=False)
    >>> [(pathlib.Path(d["output"]).name, d["n_spectra"]) for d in done]
    [('run1.csv', 6), ('run2.csv', 6)]
    """
    names = [os.fspath(x) for x in files]
    model_dir = os.fspath(model_dir)
    batch_size = check_scalar("batch_size", batch_size, Interval(Integral, 1, None))
    overwrite = check_bool("overwrite", overwrite)
    outputs = output_paths(names, out_dir)
    _check_jobs(names, outputs, model_dir, overwrite)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    jobs = [
        (model_dir, x, str(out), batch_size, bool(resample), overwrite)
        for x, out in zip(names, outputs, strict=True)
    ]
    if client is None:
        finished: Iterable[dict[str, Any]] = (_predict_one(*job) for job in jobs)
    else:
        finished = _on_cluster(client, jobs)
    by_output = {}
    for done, summary in enumerate(finished, start=1):
        by_output[summary["output"]] = summary
        if progress:
            _report(done, len(jobs), summary)
    return [by_output[str(out)] for out in outputs]
