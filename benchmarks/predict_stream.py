"""Streaming ``specauth predict``: peak memory and speed on a 1 GB file.

Writes 100,000 synthetic spectra of 2631 points (float32 ``.npy``, about
1 GB) to a temporary folder, trains a tiny model with ``specauth train``
(``cnn1d_small``, 1 epoch, on 60 spectra), runs ``specauth predict`` on the
big file in a subprocess and records its peak resident memory
(``ru_maxrss`` of that child, from ``os.wait4``) and spectra per second. The
target is a peak under 2 GB: the file is read ``--batch-size`` rows at a time.

It then writes ``specauth report`` for the tiny model and, when ``chromium``
is installed, a headless screenshot of it to
``benchmarks/results/report_screenshot.png``. The big file is deleted at the
end.

Usage::

    python benchmarks/predict_stream.py [--n 100000] [--length 2631]
        [--batch-size 1024] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def specauth_command():
    script = Path(sys.executable).with_name("specauth")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "specauth"]


def write_big_file(path, n, length, seed=0):
    """Write ``n`` noisy peak spectra as float32 ``.npy``, block by block."""
    from specauth.datasets import make_spectra

    base = make_spectra(
        n_classes=4, n_samples_per_class=64, length=length, random_state=seed
    ).X.astype(np.float32)
    rng = np.random.default_rng(seed)
    out = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.float32, shape=(n, length)
    )
    block = 4096
    for start in range(0, n, block):
        stop = min(n, start + block)
        rows = base[rng.integers(0, len(base), stop - start)]
        noise = rng.normal(0, 0.01, rows.shape).astype(np.float32)
        out[start:stop] = np.abs(rows + noise)
    out.flush()
    del out


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
    np.save(folder / "unknown.npy", data.X_unknown)
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


def report_screenshot(folder, model, out_png):
    """Write the HTML report of the tiny model and screenshot it."""
    html = folder / "report.html"
    subprocess.run(
        [
            *specauth_command(),
            "report",
            str(model),
            "--x",
            str(folder / "train.npy"),
            "--y",
            str(folder / "train.csv"),
            "--x-unknown",
            str(folder / "unknown.npy"),
            "--out",
            str(html),
        ],
        check=True,
    )
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium not found: no screenshot of the report")
        return None
    subprocess.run(
        [
            chromium,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={folder / 'chromium'}",
            f"--screenshot={out_png}",
            "--window-size=1200,2000",
            html.resolve().as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    return out_png if Path(out_png).is_file() else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--length", type=int, default=2631)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    results = Path(args.out)
    results.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="specauth_stream_") as tmp:
        folder = Path(tmp)
        big = folder / "big.npy"
        t0 = time.perf_counter()
        write_big_file(big, args.n, args.length)
        size_gb = big.stat().st_size / 1e9
        print(
            f"wrote {args.n} x {args.length} float32 ({size_gb:.2f} GB) in "
            f"{time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        model = train_tiny_model(folder, args.length)
        seconds, peak_mib, stderr = run_predict(
            model, big, folder / "pred.csv", args.batch_size
        )
        with open(folder / "pred.csv") as handle:
            n_rows = sum(1 for _ in handle) - 1
        big.unlink()
        screenshot = report_screenshot(folder, model, results / "report_screenshot.png")
    result = {
        "n_spectra": args.n,
        "n_points": args.length,
        "file_gb": size_gb,
        "batch_size": args.batch_size,
        "rows_written": n_rows,
        "seconds_total": seconds,
        "spectra_per_second": args.n / seconds,
        "peak_rss_mib": peak_mib,
        "target_peak_rss_mib": 2048,
        "under_target": peak_mib < 2048,
        "predict_says": stderr.strip().splitlines()[-1] if stderr.strip() else "",
        "report_screenshot": str(screenshot) if screenshot else None,
    }
    print(json.dumps(result, indent=2))
    (results / "predict_stream.json").write_text(json.dumps(result, indent=2))
    if n_rows != args.n:
        raise SystemExit(f"expected {args.n} rows in the CSV; got {n_rows}")
    return result


if __name__ == "__main__":
    main()
