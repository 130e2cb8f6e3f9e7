"""Memory across repeated fits: 20 fits of CNNClassifier must not grow memory.

GridSearchCV clones and refits the estimator many times; each fit builds a
new Keras network. This script fits 20 times in one process, as a grid search
does, and records the resident memory (RSS) after each fit.

Usage::

    python benchmarks/refit_memory.py [--fits 20] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mb():
    """Current resident set size in MiB (Linux /proc)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=20)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    from sklearn.base import clone

    from specauth.datasets import make_spectra
    from specauth.estimators import CNNClassifier

    data = make_spectra(
        n_classes=4, n_samples_per_class=40, length=1024, random_state=0
    )
    template = CNNClassifier(epochs=5, random_state=0)
    rss = []
    t0 = time.perf_counter()
    for i in range(args.fits):
        clone(template).set_params(random_state=i).fit(data.X, data.y)
        rss.append(rss_mb())
        print(f"fit {i + 1:2d}: RSS {rss[-1]:7.1f} MiB", flush=True)
    growth = rss[-1] - rss[4] if len(rss) > 5 else rss[-1] - rss[0]
    result = {
        "fits": args.fits,
        "rss_mib": rss,
        "growth_after_fit5_mib": growth,
        "growth_per_fit_mib": growth / max(1, len(rss) - 5),
        "seconds": time.perf_counter() - t0,
    }
    print(
        f"RSS growth from fit 5 to fit {args.fits}: {growth:.1f} MiB "
        f"({result['growth_per_fit_mib']:.2f} MiB per fit)"
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "refit_memory.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
