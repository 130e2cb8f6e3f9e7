"""Streaming ``specauth train`` and ``specauth predict`` on an 8 GB HDF5 file.

Writes ``--n`` diffraction patterns of ``--shape`` pixels (default 30,000 x
260 x 257 float32, 8.0 GB) to ``--path`` (dataset ``patterns``, chunks of
``(16, h, w)``, and ``labels``, one byte string per pattern), then runs, each
as a subprocess of the installed command line::

    specauth train --x FILE:patterns --y FILE:labels --out MODEL
        --model resnet2d --epochs E --detector D --quiet
    specauth predict MODEL --x FILE:patterns --out PRED.h5

and records each one's wall time and peak resident memory, and the
predictions' throughput (patterns per second, end to end: process start,
TensorFlow import, model load, reading, writing). The targets are a peak
under 1.5 GB for both and at least 120 patterns/s for ``predict`` (on the
2-core development machine). The big file, the model and the predictions
(beside ``--path``) are deleted at the end unless ``--keep``.

The patterns are those of
:func:`specauth.datasets.make_diffraction_patterns` (``"single"`` and
``"multiple"``, ``--photons`` photons each, 150 by default: the issue's
noisy regime), generated ``--write-block`` (256) at a time, each block with
its own seed, and written as they come: about a minute for 30,000 of
260 x 257, so nothing is tiled and every pattern is distinct. The writing
runs in a separate (spawned) process, so this process stays small: a child
started with ``vfork`` inherits its parent's peak memory in ``ru_maxrss``.

Peak memory: ``/usr/bin/time -v``'s "Maximum resident set size" of the
command when that program exists (its own child starts afresh, with
``fork``), and always ``ru_maxrss`` from ``os.wait4`` of the subprocess;
the figure reported is the first, or the second without ``time``.

Training runs ``--epochs`` epochs (default 1: the memory of one pass over
the stream is that of any number of passes, and one epoch of 30,000 patterns
is already long on 2 cores); the model is whatever one epoch gives, so its
accuracy is not the point. With a detector (``--detector``, default
``knn``) the model is open-set: ``train`` then embeds every pattern once more
to fit the detector, and ``predict`` writes each pattern's detector score
beside its label and probabilities. ``--quick`` is a smoke run: 2,000 x 64 x 64.

Usage::

    python benchmarks/streaming.py [--n 30000] [--shape 260 257]
        [--path /tmp/specauth_stream.h5] [--epochs 1] [--keep] [--quick]
        [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import re
import resource
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
from _command import specauth_command

ROOT = Path(__file__).resolve().parents[1]
TIME = Path("/usr/bin/time")
QUICK = {"n": 2000, "shape": [64, 64]}
TARGET_RSS_MIB = 1.5 * 1024
TARGET_PREDICT_RATE = 120.0


def write_patterns(path, n, shape, photons, block, seed):
    """Write ``n`` generated patterns and their labels to ``path``, by blocks."""
    import h5py

    from specauth.datasets import make_diffraction_patterns

    with h5py.File(path, "w") as handle:
        patterns = handle.create_dataset(
            "patterns", (n, *shape), dtype="float32", chunks=(16, *shape)
        )
        labels = handle.create_dataset("labels", (n,), dtype="S8")
        for i, start in enumerate(range(0, n, block)):
            data = make_diffraction_patterns(
                min(block, n - start),
                tuple(shape),
                classes=("single", "multiple"),
                photons=photons,
                random_state=seed * 100_003 + i,
            )
            patterns[start : start + len(data.X)] = data.X
            labels[start : start + len(data.X)] = data.y.astype("S8")


def write_file(args):
    """Write the file in a spawned process; return its size in GB and seconds."""
    start = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    writer = context.Process(
        target=write_patterns,
        args=(
            args.path,
            args.n,
            args.shape,
            args.photons,
            args.write_block,
            args.seed,
        ),
    )
    writer.start()
    writer.join()
    if writer.exitcode != 0:
        raise SystemExit(f"writing {args.path} failed (exit code {writer.exitcode})")
    return Path(args.path).stat().st_size / 1e9, time.perf_counter() - start


def measured(command, report):
    """Run ``command``; return its seconds, peak RSS (MiB) figures and output.

    ``/usr/bin/time -v`` (when present) writes its report to the file
    ``report``, which is read and deleted.
    """
    timed = TIME.is_file()
    argv = [str(TIME), "-v", "-o", str(report), *command] if timed else list(command)
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed ({code}):\n{output[-3000:]}")
    found = None
    if timed:
        text = Path(report).read_text()
        Path(report).unlink()
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    time_mib = int(found.group(1)) / 1024 if found else None
    wait4_mib = usage.ru_maxrss / 1024  # Linux: KiB
    lines = [line.strip() for line in re.split(r"[\r\n]+", output) if line.strip()]
    return {
        "seconds": seconds,
        "peak_rss_mib": time_mib if time_mib is not None else wait4_mib,
        "peak_rss_source": "/usr/bin/time -v" if time_mib else "os.wait4",
        "wait4_ru_maxrss_mib": wait4_mib,
        "output_tail": lines[-3:],
    }


def train(args, model):
    data = str(args.path)
    command = [
        *specauth_command(),
        "train",
        "--x",
        f"{data}:patterns",
        "--y",
        f"{data}:labels",
        "--out",
        str(model),
        "--model",
        "resnet2d",
        "--epochs",
        str(args.epochs),
        "--batch-size",
        str(args.batch_size),
        "--detector",
        args.detector,
        "--quiet",
    ]
    return measured(command, f"{model}.time.txt")


def predict(args, model, predictions):
    command = [
        *specauth_command(),
        "predict",
        str(model),
        "--x",
        f"{args.path}:patterns",
        "--out",
        str(predictions),
    ]
    result = measured(command, f"{predictions}.time.txt")
    result["patterns_per_second"] = args.n / result["seconds"]
    says = re.search(
        r"predictions to .* in ([0-9.]+) s", "\n".join(result["output_tail"])
    )
    result["predict_loop_seconds"] = float(says.group(1)) if says else None
    result["predict_loop_patterns_per_second"] = (
        args.n / float(says.group(1)) if says and float(says.group(1)) > 0 else None
    )
    return result


def check_predictions(predictions, path):
    """Rows written and accuracy of the predictions against the labels."""
    import h5py

    with h5py.File(path, "r") as handle:
        labels = handle["labels"][()].astype(str)
    with h5py.File(predictions, "r") as handle:
        group = handle["predictions"]
        names = sorted(group.keys())
        rows_done = int(group.attrs.get("rows_done", -1))
        predicted = group["label"][()].astype(str)
    accepted = predicted != "unknown"  # an open-set model's rejections
    return {
        "datasets": names,
        "rows_done": rows_done,
        "all_rows": rows_done == labels.shape[0],
        "accuracy": float(np.mean(predicted == labels)),
        "rejected_fraction": float(1.0 - accepted.mean()),
        "accuracy_of_accepted": float(np.mean(predicted[accepted] == labels[accepted]))
        if accepted.any()
        else None,
    }


def run(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(args.path).with_suffix("")
    model = Path(f"{work}_model")
    predictions = Path(f"{work}_predictions.h5")
    predictions.unlink(missing_ok=True)  # a kept one would be "continued"
    size_gb, write_s = write_file(args)
    print(f"wrote {args.n} x {args.shape} ({size_gb:.2f} GB) in {write_s:.1f} s")
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        trained = train(args, model)
        print(f"train: {trained['seconds']:.1f} s, {trained['peak_rss_mib']:.0f} MiB")
        predicted = predict(args, model, predictions)
        print(
            f"predict: {predicted['seconds']:.1f} s, "
            f"{predicted['patterns_per_second']:.0f} patterns/s, "
            f"{predicted['peak_rss_mib']:.0f} MiB"
        )
        check = check_predictions(predictions, args.path)
    finally:
        if not args.keep:
            Path(args.path).unlink(missing_ok=True)
            predictions.unlink(missing_ok=True)
            shutil.rmtree(model, ignore_errors=True)
    peak = max(trained["peak_rss_mib"], predicted["peak_rss_mib"])
    result = {
        "machine": platform.platform(),
        "cpu_count": os.cpu_count(),
        "settings": {k: v for k, v in vars(args).items() if k != "out"},
        "file_gb": size_gb,
        "write_seconds": write_s,
        "benchmark_own_peak_rss_mib": own_peak,
        "train": trained,
        "predict": predicted,
        "predictions": check,
        "targets": {
            "peak_rss_mib": TARGET_RSS_MIB,
            "predict_patterns_per_second": TARGET_PREDICT_RATE,
        },
        "rss_under_target": peak < TARGET_RSS_MIB,
        "predict_rate_met": predicted["patterns_per_second"] >= TARGET_PREDICT_RATE,
        "kept": args.keep,
    }
    path = out / "streaming.json"
    path.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "settings"}, indent=2))
    print(f"wrote {path}")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30_000, help="patterns written")
    parser.add_argument("--shape", type=int, nargs=2, default=[260, 257])
    parser.add_argument("--path", default="/tmp/specauth_stream.h5")
    parser.add_argument("--photons", type=float, default=150.0)
    parser.add_argument("--write-block", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--detector",
        default="knn",
        help="specauth train --detector (default knn: an open-set model whose "
        "detector is fitted on the network's embedding of the stream; 'none' "
        "for a closed-set one)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the big file")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: " + json.dumps(QUICK)
    )
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    vars(args).update(QUICK if args.quick else {})
    if min(args.n, args.epochs, args.write_block) < 1:
        parser.error("--n, --epochs and --write-block must be >= 1.")
    return run(args)


if __name__ == "__main__":
    main()
