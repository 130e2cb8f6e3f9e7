"""Speed and memory of Gramian angular fields: specauth vs pyts.

Images 2631-point spectra at full size (2631 x 2631) and at 224 x 224 with

- ``ours/new``: ``GramianAngularField().transform(X)`` (one new float32 array),
- ``ours/stream``: ``iter_transform(X, out=buffer)`` reusing one output buffer,
- ``pyts``: ``pyts.image.GramianAngularField`` (float64), if installed,

then streams 10,000 spectra at 224 through ``iter_transform`` and records the
resident memory after every chunk, to show it stays flat.

Throughput is timed without tracing; peak memory is the tracemalloc peak of a
second, traced run (numpy reports its buffers to tracemalloc).

Usage::

    python benchmarks/imaging.py [--n-full 8] [--n-small 256] [--n-stream 10000]
                                 [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
N_POINTS = 2631


def rss_mb():
    """Current resident set size in MiB (Linux /proc)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def spectra(n, seed=0):
    """Smooth positive spectra with a few peaks, shape (n, 2631)."""
    rng = np.random.default_rng(seed)
    grid = np.arange(N_POINTS)
    X = rng.gamma(2.0, 1.0, size=(n, N_POINTS))
    for _ in range(5):
        centre = rng.uniform(0, N_POINTS, size=(n, 1))
        X += rng.uniform(10, 100, (n, 1)) * np.exp(-0.5 * ((grid - centre) / 8) ** 2)
    return X


def measure(run, n):
    """Spectra/s of ``run()`` (best of one timed run after nothing else) and
    the tracemalloc peak of a second run, in MiB."""
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {"spectra_per_s": n / seconds, "seconds": seconds, "peak_mib": peak}


def compare(X, size, pyts_image):
    """Time ours (new array, streaming) and pyts on ``X`` at ``size``."""
    from specauth.imaging import GramianAngularField

    gaf = GramianAngularField(None if size == N_POINTS else size).fit(X)
    batch = min(len(X), 8 if size == N_POINTS else 256)
    buffer = np.empty((batch, size, size, 1), dtype=np.float32)

    def stream():
        for _ in gaf.iter_transform(X, out=buffer):
            pass

    stream()  # touch the buffer's pages once, as a long-running loop would
    rows = {
        "ours/new": measure(lambda: gaf.transform(X), len(X)),
        "ours/stream": measure(stream, len(X)),
    }
    if pyts_image is not None:
        pyts_image.GramianAngularField(image_size=4).fit_transform(X[:1, :8])
        theirs = pyts_image.GramianAngularField(image_size=size)
        rows["pyts"] = measure(lambda: theirs.fit_transform(X), len(X))
    return rows


def stream_many(n, size=224, batch=256):
    """RSS after every chunk while streaming ``n`` spectra at ``size``."""
    from specauth.imaging import GramianAngularField

    X = spectra(min(n, 1000), seed=1)
    gaf = GramianAngularField(size).fit(X)
    buffer = np.empty((batch, size, size, 1), dtype=np.float32)
    rss, done, checksum = [], 0, 0.0
    start = time.perf_counter()
    while done < n:
        m = min(len(X), n - done)
        for _, images in gaf.iter_transform(X[:m], out=buffer):
            checksum += float(images[:, 0, 0, 0].sum())
            rss.append(rss_mb())
        done += m
    seconds = time.perf_counter() - start
    return {
        "n_spectra": n,
        "image_size": size,
        "batch": batch,
        "spectra_per_s": n / seconds,
        "rss_first_chunk_mib": rss[0],
        "rss_max_mib": max(rss),
        "rss_last_mib": rss[-1],
        "one_shot_output_mib": n * size * size * 4 / 2**20,
        "checksum": checksum,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-full", type=int, default=8)
    parser.add_argument("--n-small", type=int, default=256)
    parser.add_argument("--n-stream", type=int, default=10_000)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    try:
        import pyts.image as pyts_image
    except ImportError:
        pyts_image = None
        print("pyts is not installed: `pip install pyts` to compare with it.")

    results = {"n_points": N_POINTS, "cases": {}}
    for size, n in ((N_POINTS, args.n_full), (224, args.n_small)):
        results["cases"][str(size)] = compare(spectra(n), size, pyts_image)
    results["stream"] = stream_many(args.n_stream)

    print(
        f"{'size':>6} {'method':<12} {'spectra/s':>10} {'peak MiB':>9} {'vs pyts':>8}"
    )
    for size, rows in results["cases"].items():
        base = rows.get("pyts", {}).get("spectra_per_s")
        for name, row in rows.items():
            ratio = f"{row['spectra_per_s'] / base:7.1f}x" if base else "      -"
            print(
                f"{size:>6} {name:<12} {row['spectra_per_s']:10.1f} "
                f"{row['peak_mib']:9.1f} {ratio:>8}"
            )
    s = results["stream"]
    print(
        f"stream {s['n_spectra']} spectra at {s['image_size']}: "
        f"{s['spectra_per_s']:.0f} spectra/s, RSS first chunk "
        f"{s['rss_first_chunk_mib']:.0f} MiB, max {s['rss_max_mib']:.0f} MiB, "
        f"last {s['rss_last_mib']:.0f} MiB (one-shot output alone would be "
        f"{s['one_shot_output_mib']:.0f} MiB)"
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "imaging.json").write_text(json.dumps(results, indent=2))
    print(f"wrote {out / 'imaging.json'}")


if __name__ == "__main__":
    main()
