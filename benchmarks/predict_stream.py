"""Streaming ``specauth predict``: peak memory and speed on a 1 GB file.

For each ``--n`` (default 100,000), writes ``n`` synthetic spectra of 2631
points (float32 ``.npy``, about 1 GB at 100,000) to a temporary folder, runs
``specauth predict`` on it in a subprocess and records its peak resident
memory (``ru_maxrss`` of that child, from ``os.wait4``) and spectra per
second; the tiny model (``cnn1d_small``, 1 epoch, on 60 spectra, from
``specauth train``) is trained once. The target is a peak under 2 GB that
does not grow with ``n`` (within 100 MiB): the file is read and predicted
``--batch-size`` rows at a time.

The child's ``ru_maxrss`` starts from this process's own peak (Python starts
children with ``vfork``, and Linux keeps the parent's high-water mark across
``exec``), so this process writes the file with plain writes, never a memory
map, and checks that its own peak is below the child's: otherwise the figure
would be this process's, not ``specauth predict``'s.

The big files are deleted. (The report screenshot is
``benchmarks/report_screenshot.py``'s job, with a properly trained model.)

Usage::

    python benchmarks/predict_stream.py [--n 10000 30000 100000]
        [--length 2631] [--batch-size 1024] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from _command import specauth_command

ROOT = Path(__file__).resolve().parents[1]


def write_big_file(path, n, length, seed=0):
    """Write ``n`` noisy peak spectra as float32 ``.npy``, block by block.

    Plain writes, not ``open_memmap``: the pages of a map count in this
    process's peak memory, which ``specauth predict`` would then inherit.
    """
    from specauth.datasets import make_spectra

    base = make_spectra(
        n_classes=4, n_samples_per_class=64, length=length, random_state=seed
    ).X.astype(np.float32)
    rng = np.random.default_rng(seed)
    header = {
        "descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)),
        "fortran_order": False,
        "shape": (n, length),
    }
    block = 4096
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, header)
        for start in range(0, n, block):
            stop = min(n, start + block)
            rows = base[rng.integers(0, len(base), stop - start)]
            noise = rng.normal(0, 0.01, rows.shape).astype(np.float32)
            np.abs(rows + noise).tofile(handle)


def own_peak_mib():
    """Peak resident memory of this process so far, MiB (Linux: KiB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def train_tiny_model(folder, length):
    from specauth.datasets import make_spectra

    data = make_spectra(
        n_classes=3,
        n_samples_per_class=20,
        length=length,
        n_unknown_classes=1,
        random_state=1,
    )
    np.save(folder / "train.npy", data.X)
    (folder / "train.csv").write_text("\n".join(data.y) + "\n")
    model = folder / "model"
    subprocess.run(
        [
            *specauth_command(),
            "train",
            "--x",
            str(folder / "train.npy"),
            "--y",
            str(folder / "train.csv"),
            "--out",
            str(model),
            "--model",
            "cnn1d_small",
            "--epochs",
            "1",
            "--quiet",
        ],
        check=True,
    )
    return model


def run_predict(model, big, out_csv, batch_size):
    """Run ``specauth predict``; return (seconds, peak RSS MiB, stderr)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [
            *specauth_command(),
            "predict",
            str(model),
            "--x",
            str(big),
            "--out",
            str(out_csv),
            "--batch-size",
            str(batch_size),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"specauth predict failed:\n{stderr[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, stderr  # Linux: KiB -> MiB


def measure(folder, model, n, length, batch_size):
    """Write ``n`` spectra, predict them, delete the file; return a result."""
    big = folder / "big.npy"
    t0 = time.perf_counter()
    write_big_file(big, n, length)
    size_gb = big.stat().st_size / 1e9
    print(
        f"wrote {n} x {length} float32 ({size_gb:.2f} GB) in "
        f"{time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    own_peak = own_peak_mib()
    seconds, peak_mib, stderr = run_predict(model, big, folder / "pred.csv", batch_size)
    with open(folder / "pred.csv") as handle:
        n_rows = sum(1 for _ in handle) - 1
    big.unlink()
    says = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    loop = re.search(r"\((\d+) spectra/s\)", says)
    result = {
        "n_spectra": n,
        "file_gb": size_gb,
        "rows_written": n_rows,
        "seconds_total": seconds,
        "spectra_per_second": n / seconds,
        "predict_loop_spectra_per_second": int(loop.group(1)) if loop else None,
        "peak_rss_mib": peak_mib,
        "benchmark_peak_rss_mib": own_peak,
        "peak_is_predicts_own": peak_mib > own_peak,
        "under_target": peak_mib < 2048,
        "predict_says": says,
    }
    print(json.dumps(result, indent=2), flush=True)
    if n_rows != n:
        raise SystemExit(f"expected {n} rows in the CSV; got {n_rows}")
    if not result["peak_is_predicts_own"]:
        print(
            f"warning: this process's own peak ({own_peak:.0f} MiB) is not below "
            f"the child's ({peak_mib:.0f} MiB), so the child's figure may be "
            "inherited from it, not measured on specauth predict."
        )
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n",
        type=int,
        nargs="+",
        default=[100_000],
        help="numbers of spectra to predict, one run each",
    )
    parser.add_argument("--length", type=int, default=2631)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    if min(args.n) < 1:
        parser.error(f"--n must be >= 1; got {min(args.n)}.")
    results = Path(args.out)
    results.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="specauth_stream_") as tmp:
        folder = Path(tmp)
        model = train_tiny_model(folder, args.length)
        runs = [measure(folder, model, n, args.length, args.batch_size) for n in args.n]
    peaks = [run["peak_rss_mib"] for run in runs]
    result = {
        "n_points": args.length,
        "batch_size": args.batch_size,
        "target_peak_rss_mib": 2048,
        "runs": runs,
        "peak_rss_mib_by_n": {
            str(run["n_spectra"]): run["peak_rss_mib"] for run in runs
        },
        "peak_rss_spread_mib": max(peaks) - min(peaks),
        "flat": max(peaks) - min(peaks) <= 100,
        "under_target": max(peaks) < 2048,
    }
    (results / "predict_stream.json").write_text(json.dumps(result, indent=2))
    by_n = ", ".join(
        f"{n}: {peak:.0f} MiB" for n, peak in zip(args.n, peaks, strict=True)
    )
    print(f"peak RSS by n: {by_n} (spread {result['peak_rss_spread_mib']:.0f} MiB)")
    return result


if __name__ == "__main__":
    main()
