"""A 12-candidate grid search on Dask: 1 worker against 2 (issue 19).

``GridSearchCV(CNNClassifier("cnn1d_small"), grid, cv=3)`` over 12
candidates (learning rate x epochs x batch size: 36 fits) on synthetic
spectra (``make_spectra``: 4 classes, 40 spectra each, 512 points), run
through joblib's Dask backend on a ``LocalCluster`` made by
:func:`specauth.distributed.local_client`, twice with the same CPUs:

- ``1 worker``: one process, TensorFlow given every CPU (``threads = CPUs``);
  the whole search is one task on it (joblib runs a single job in the
  calling process, not on the cluster);
- ``2 workers``: two processes, each with half the CPUs, each fit a task.

Each worker samples its own resident memory (RSS) every 0.2 s during the
search, in a thread started with ``client.run``; the script reports the
wall time of each search (median over ``--repeats``, each on a fresh
cluster), their ratio, the peak RSS of each worker and its RSS after the
first and the last fit it ran, the fits per worker and the best parameters
found. Then, for memory across many fits, it runs the search
``--memory-rounds`` times in a row on one 2-worker cluster (the same worker
processes) and reports each round's peak RSS per worker and its growth from
the second round to the last (the first includes the warm-up).

Printed, and written as JSON (with the machine and the git commit) to
``benchmarks/results/dask_search.json`` (``--out`` to change).

Usage::

    python benchmarks/dask_search.py [--repeats 1] [--memory-rounds 3]
        [--out FILE] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRID = {
    "learning_rate": [1e-3, 3e-3, 1e-2],
    "epochs": [6, 12],
    "batch_size": [16, 32],
}


def _sample(state, process, interval):
    """Record the RSS of ``process`` (MiB) until ``state["stop"]`` is set."""
    while not state["stop"].is_set():
        rss = process.memory_info().rss / 2**20
        state["peak"] = max(state["peak"], rss)
        state["series"].append((time.time(), rss))
        state["stop"].wait(0.2)


def _start_sampler():
    """Run on a worker: sample its RSS in a thread; return the RSS now (MiB)."""
    import threading

    import psutil

    process = psutil.Process()
    state = {"stop": threading.Event(), "peak": 0.0, "series": []}
    thread = threading.Thread(
        target=_sample, args=(state, process, 0.2), name="rss-sampler", daemon=True
    )
    thread.state = state
    thread.start()
    return process.memory_info().rss / 2**20


def _stop_sampler():
    """Run on a worker: stop the sampler; its peak and series (MiB)."""
    import threading

    for thread in threading.enumerate():
        if thread.name == "rss-sampler":
            thread.state["stop"].set()
            thread.join()
            return {"peak_mib": thread.state["peak"], "series": thread.state["series"]}
    return None


def _sampled_search(client, data, args, *, in_worker=False):
    """One grid search on ``client``'s cluster, its workers' RSS sampled.

    Returns the fitted search, its wall time, each worker's RSS at the start
    and its sampler record. ``in_worker``: submit the whole search as one
    task (joblib runs a single job in the calling process, not on a
    1-thread cluster).
    """
    import joblib
    from sklearn.model_selection import GridSearchCV

    from specauth.estimators import CNNClassifier

    grid = {"epochs": [1, 2]} if args.quick else GRID
    gs = GridSearchCV(
        CNNClassifier("cnn1d_small", random_state=0), grid, cv=3, refit=False
    )
    start_rss = client.run(_start_sampler)
    t0 = time.perf_counter()
    if in_worker:
        gs = client.submit(gs.fit, data.X, data.y).result()
    else:
        with joblib.parallel_config(backend="dask"):
            gs.fit(data.X, data.y)
    seconds = time.perf_counter() - t0
    return gs, seconds, start_rss, client.run(_stop_sampler)


def _warm(client):
    client.run(lambda: __import__("tensorflow").constant(0.0))  # warm start


def search(n_workers, threads, data, args):
    """One grid search on a fresh cluster; wall time and per-worker memory."""
    from specauth.distributed import local_client

    with local_client(n_workers=n_workers, threads=threads) as client:
        _warm(client)
        gs, seconds, start_rss, memory = _sampled_search(
            client, data, args, in_worker=n_workers == 1
        )
    workers = {}
    for address, record in memory.items():
        series = record["series"]
        rss = [value for _, value in series]
        half = rss[len(rss) // 2 :]
        workers[address] = {
            "rss_start_mib": start_rss[address],
            "peak_rss_mib": record["peak_mib"],
            "rss_end_mib": rss[-1] if rss else None,
            "rss_first_half_max_mib": max(rss[: len(rss) // 2] or [0.0]),
            "rss_second_half_max_mib": max(half or [0.0]),
            "samples": len(rss),
        }
    return {
        "n_workers": n_workers,
        "threads_per_worker": threads,
        "candidates": len(gs.cv_results_["params"]),
        "fits": len(gs.cv_results_["params"]) * 3,
        "seconds": seconds,
        "best_params": gs.best_params_,
        "best_score": float(gs.best_score_),
        "mean_test_scores": gs.cv_results_["mean_test_score"].tolist(),
        "workers": workers,
    }


def memory_rounds(data, args):
    """The search ``args.memory_rounds`` times on one 2-worker cluster.

    The same worker processes run every round; each round's peak RSS per
    worker shows whether memory keeps growing with the number of fits (the
    first round includes the workers' warm-up: TensorFlow's first trace).
    """
    from dask.system import CPU_COUNT

    from specauth.distributed import local_client

    rounds = []
    threads = max(1, int(CPU_COUNT) // 2)
    with local_client(n_workers=2, threads=threads) as client:
        _warm(client)
        for index in range(args.memory_rounds):
            gs, seconds, start, memory = _sampled_search(client, data, args)
            peaks = {a: record["peak_mib"] for a, record in memory.items()}
            rounds.append(
                {
                    "round": index + 1,
                    "fits": len(gs.cv_results_["params"]) * 3,
                    "seconds": seconds,
                    "rss_start_mib": start,
                    "peak_rss_mib": peaks,
                }
            )
            print(
                f"memory round {index + 1}: {rounds[-1]['fits']} fits in "
                f"{seconds:.1f} s; peak RSS per worker "
                + ", ".join(f"{v:.0f}" for v in peaks.values())
                + " MiB",
                flush=True,
            )
    workers = list(rounds[0]["peak_rss_mib"])
    growth = {
        a: rounds[-1]["peak_rss_mib"][a]
        - rounds[min(1, len(rounds) - 1)]["peak_rss_mib"][a]
        for a in workers
    }
    return {
        "threads_per_worker": threads,
        "rounds": rounds,
        "fits_per_round": rounds[0]["fits"],
        "peak_growth_after_round_2_mib": growth,
    }


def machine():
    """Platform, CPUs, library versions and the git commit."""
    import dask
    import keras
    import sklearn
    from dask.system import CPU_COUNT

    head, status = (
        subprocess.run(
            ["git", "-C", str(ROOT), *command], capture_output=True, text=True
        ).stdout.strip()
        for command in (["rev-parse", "HEAD"], ["status", "--porcelain"])
    )
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": int(CPU_COUNT),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "sklearn": sklearn.__version__,
        "dask": dask.__version__,
        "git": {"commit": head, "dirty": bool(status)},
    }


def summarise(runs):
    """Median seconds per configuration, the ratio, peak RSS per worker."""
    summary = {}
    for n_workers in (1, 2):
        mine = [run for run in runs if run["n_workers"] == n_workers]
        peaks = [w["peak_rss_mib"] for run in mine for w in run["workers"].values()]
        summary[f"{n_workers}_workers"] = {
            "median_seconds": statistics.median(run["seconds"] for run in mine),
            "max_peak_rss_per_worker_mib": max(peaks),
            "best_params": mine[0]["best_params"],
        }
    one, two = summary["1_workers"], summary["2_workers"]
    summary["speedup_2_over_1"] = one["median_seconds"] / two["median_seconds"]
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--out", default=str(ROOT / "benchmarks" / "results" / "dask_search.json")
    )
    parser.add_argument("--quick", action="store_true", help="2 candidates, smoke run")
    parser.add_argument(
        "--memory-rounds",
        type=int,
        default=3,
        help="searches in a row on one 2-worker cluster, for the memory (0: none)",
    )
    args = parser.parse_args(argv)

    from dask.system import CPU_COUNT

    from specauth.datasets import make_spectra

    data = make_spectra(n_classes=4, n_samples_per_class=40, length=512, random_state=0)
    cpus = int(CPU_COUNT)
    runs = []
    for repeat in range(args.repeats):
        for n_workers in (1, 2):
            run = search(n_workers, max(1, cpus // n_workers), data, args)
            run["repeat"] = repeat
            runs.append(run)
            peaks = ", ".join(
                f"{w['peak_rss_mib']:.0f}" for w in run["workers"].values()
            )
            print(
                f"repeat {repeat}: {n_workers} worker(s) x {run['threads_per_worker']}"
                f" threads: {run['fits']} fits in {run['seconds']:.1f} s; peak RSS "
                f"per worker {peaks} MiB; best {run['best_params']}",
                flush=True,
            )
    result = {"machine": machine(), "grid": GRID, "runs": runs}
    result["summary"] = summarise(runs)
    if args.memory_rounds:
        result["memory"] = memory_rounds(data, args)
    summary = result["summary"]
    print(
        f"1 worker: {summary['1_workers']['median_seconds']:.1f} s, 2 workers: "
        f"{summary['2_workers']['median_seconds']:.1f} s, ratio (1/2) "
        f"{summary['speedup_2_over_1']:.2f}; peak RSS per worker "
        f"{summary['1_workers']['max_peak_rss_per_worker_mib']:.0f} MiB (1 worker), "
        f"{summary['2_workers']['max_peak_rss_per_worker_mib']:.0f} MiB (2 workers)"
    )
    if args.memory_rounds:
        growth = result["memory"]["peak_growth_after_round_2_mib"].values()
        print(
            f"memory: {args.memory_rounds} searches of "
            f"{result['memory']['fits_per_round']} fits on the same 2 workers; "
            "peak RSS growth from round 2 to the last: "
            + ", ".join(f"{g:+.0f}" for g in growth)
            + " MiB per worker"
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
