"""Small data: does ``CNNClassifier()`` ever collapse silently? (issue 14, §1)

A *collapse* is a fit whose training history says accuracy >= 0.99 while
``predict`` on the same training spectra scores < 0.9 (inference mode). Before
issue 14 it happened with one batch per epoch: the BatchNorm running averages
never caught up with the weights.

Every fit here is measured twice from the same trained weights, so the two
columns compare like with like:

- **before**: the network as ``Model.fit`` leaves it (the BatchNorm running
  averages of the last training step), which is what ``predict`` used before
  issue 14;
- **after**: the same network after :func:`specauth.training.recompute_batch_norm`,
  which :func:`~specauth.training.fit_network` now runs at the end of every
  fit.

The grid: data sets (``coffee``: 60 ATR-FTIR coffee spectra of three origins
shipped with chemotools, SNV; ``pgaa``: the five largest PGAA classes,
row-normalised and log; ``synthetic``: ``make_spectra`` with three classes at
lengths 100, 1000 and 5000), spectra per class (5, 10, 20, 50, where the set
has that many plus a test part), batch sizes 8, 32, 128, and seeds. The
default ``CNNClassifier`` (60 epochs) is used with the batch size changed.

Usage::

    python benchmarks/small_data.py [--sets coffee pgaa synthetic] [--seeds 10]
        [--sizes 5 10 20 50] [--batch-sizes 8 32 128]
        [--lengths 100 1000 5000] [--out benchmarks/results]
        [--shard K/N] [--threads T]
    python benchmarks/small_data.py --merge results/small_data.shard-*.json

On a machine with few cores, ``--shard 0/2 --threads 1`` and ``--shard 1/2
--threads 1`` in two processes share the grid (every N-th fit from the K-th)
and write ``small_data.shard-K.json``; ``--merge`` prints the table of all the
shards together and writes it to ``small_data.json``.

The coffee set needs ``pip install -e ".[benchmarks]"`` (chemotools).
Results are appended to the JSON file after every fit, so an interrupted run
keeps what it measured; the table is printed at the end.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PGAA = ROOT / ".." / "shared" / "data" / "pgaa" / "pgaa.npz"


def _snv(X):
    X = np.asarray(X, dtype=np.float64)
    return (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)


def load_coffee():
    """60 coffee spectra (chemotools' copy of the published set), SNV."""
    try:
        from chemotools.datasets import load_coffee as load
    except ImportError as err:
        raise SystemExit(
            'the coffee set needs chemotools: pip install -e ".[benchmarks]"'
        ) from err
    X, y = load()
    return _snv(X.to_numpy()), np.asarray(y).ravel().astype(str)


def load_pgaa_largest(n_classes=5):
    """The largest PGAA classes, preprocessed as benchmarks/pgaa_1d.py does."""
    from sklearn.pipeline import make_pipeline

    from specauth.datasets import PGAA_CNN_BINS, load_pgaa
    from specauth.preprocessing import Crop, LogTransform, SpectrumNormalizer

    data = load_pgaa(PGAA)
    labels, counts = np.unique(data.target, return_counts=True)
    keep = np.isin(data.target, labels[np.argsort(counts)[::-1][:n_classes]])
    prep = make_pipeline(
        Crop(0, PGAA_CNN_BINS), SpectrumNormalizer("sum"), LogTransform()
    )
    X = prep.fit_transform(data.data[keep])
    return X, np.asarray(data.target[keep]).astype(str)


def sample_split(y, n_per_class, seed, max_test_per_class=20):
    """Train indices (``n_per_class`` per class) and test indices (the rest)."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == label))
        train.extend(rows[:n_per_class])
        test.extend(rows[n_per_class : n_per_class + max_test_per_class])
    return np.sort(train), np.sort(test)


def fit_both_ways(X_train, y_train, X_test, y_test, batch_size, seed):
    """One fit; accuracies before and after what issue 14 added to ``fit``.

    "before": the fit with the BatchNorm recompute and the settling phase
    patched out (what ``fit`` did before issue 14, and its old warning);
    "after": the same network after :func:`recompute_batch_norm` and, when
    ``predict`` still disagrees with the training accuracy, the settling
    phase -- what ``fit`` now does.
    """
    import specauth.training.batch_norm as batch_norm
    from specauth.estimators import CNNClassifier
    from specauth.estimators._fitting import NetworkFittingMixin

    recompute, settle = batch_norm.recompute_batch_norm, NetworkFittingMixin._settle
    batch_norm.recompute_batch_norm = lambda *args, **kwargs: 0  # "before"
    NetworkFittingMixin._settle = lambda *args, **kwargs: False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", batch_norm.InferenceMismatchWarning)
            clf = CNNClassifier(batch_size=batch_size, random_state=seed)
            clf.fit(X_train, y_train)
    finally:
        batch_norm.recompute_batch_norm = recompute
        NetworkFittingMixin._settle = settle
    row = {
        "history_accuracy": float(clf.history_["accuracy"][-1]),
        "before_train": float(clf.score(X_train, y_train)),
        "before_test": float(clf.score(X_test, y_test)),
        "before_warned": _warned(caught, batch_norm),
    }
    x = clf.validate_input(X_train)
    recompute(clf.network_, x)
    targets = np.searchsorted(clf.classes_, y_train)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", batch_norm.InferenceMismatchWarning)
        clf._check_inference_agreement((x, targets), None, clf.learning_rate_)
    row["settled"] = "settle" in clf.history_.get("phase", [])
    row["after_warned"] = _warned(caught, batch_norm)
    row["after_train"] = float(clf.score(X_train, y_train))
    row["after_test"] = float(clf.score(X_test, y_test))
    return row


def _warned(caught, batch_norm):
    return any(
        issubclass(w.category, batch_norm.InferenceMismatchWarning) for w in caught
    )


def collapsed(row, when):
    return row["history_accuracy"] >= 0.99 and row[f"{when}_train"] < 0.9


def data_sets(args):
    """``(name, length, X, y)`` for every set asked for."""
    for name in args.sets:
        if name == "coffee":
            X, y = load_coffee()
            yield "coffee", X.shape[1], X, y
        elif name == "pgaa":
            if not PGAA.exists():
                print(f"skipping pgaa: {PGAA} not found")
                continue
            X, y = load_pgaa_largest()
            yield "pgaa", X.shape[1], X, y
        elif name == "synthetic":
            from specauth.datasets import make_spectra

            for length in args.lengths:
                data = make_spectra(
                    n_classes=3, n_samples_per_class=70, length=length, random_state=0
                )
                yield f"synthetic-{length}", length, data.X, data.y


def summarise(rows):
    """Per (set, n per class, batch size): collapses and median accuracies."""
    groups = {}
    for row in rows:
        groups.setdefault(
            (row["set"], row["n_per_class"], row["batch_size"]), []
        ).append(row)
    table = []
    for (name, n, batch), group in sorted(groups.items()):
        table.append(
            {
                "set": name,
                "n_per_class": n,
                "batch_size": batch,
                "fits": len(group),
                "collapses_before": sum(collapsed(r, "before") for r in group),
                "collapses_after": sum(collapsed(r, "after") for r in group),
                "warned_before": sum(r["before_warned"] for r in group),
                "settled": sum(r.get("settled", False) for r in group),
                "warned_after": sum(r.get("after_warned", False) for r in group),
                "test_before": float(np.median([r["before_test"] for r in group])),
                "test_after": float(np.median([r["after_test"] for r in group])),
                "worse_after": sum(
                    r["after_test"] < r["before_test"] - 1e-9
                    for r in group
                    if not collapsed(r, "before")
                ),
            }
        )
    return table


def print_table(table):
    head = (
        f"{'set':16s} {'n/cls':>5s} {'batch':>5s} {'fits':>4s} "
        f"{'coll.before':>11s} {'coll.after':>10s} {'warned':>6s} "
        f"{'settled':>7s} {'warned.after':>12s} "
        f"{'test before':>11s} {'test after':>10s} {'worse':>5s}"
    )
    print(head)
    for t in table:
        print(
            f"{t['set']:16s} {t['n_per_class']:5d} {t['batch_size']:5d} "
            f"{t['fits']:4d} {t['collapses_before']:11d} {t['collapses_after']:10d} "
            f"{t['warned_before']:6d} {t['settled']:7d} {t['warned_after']:12d} "
            f"{t['test_before']:11.3f} "
            f"{t['test_after']:10.3f} {t['worse_after']:5d}"
        )
    total = {
        k: sum(t[k] for t in table)
        for k in ("fits", "collapses_before", "collapses_after", "worse_after")
    }
    print(
        f"total: {total['fits']} fits, {total['collapses_before']} collapses "
        f"before, {total['collapses_after']} after; test accuracy lower after "
        f"in {total['worse_after']} fits that had not collapsed"
    )


def parse_shard(text):
    """``"K/N"`` -> ``(K, N)``, with a clear error for anything else."""
    try:
        shard, n_shards = (int(part) for part in text.split("/"))
    except ValueError:
        raise SystemExit(
            f"--shard must look like K/N (e.g. 0/2), got {text!r}"
        ) from None
    if not 0 <= shard < n_shards:
        raise SystemExit(f"--shard K/N needs 0 <= K < N, got {text!r}")
    return shard, n_shards


def _key(row):
    return (row["set"], row["n_per_class"], row["batch_size"], row["seed"])


def _mismatched(paths):
    """Keys of the fits whose recomputed predict still disagreed with training."""
    keys = set()
    for name in paths:
        for row in json.loads(Path(name).read_text())["rows"]:
            if row["history_accuracy"] - row["after_train"] > 0.05:
                keys.add(_key(row))
    return keys


def merge(paths, path):
    """Print and write the table of the rows of several result files."""
    by_key, seconds = {}, 0.0
    for name in paths:
        result = json.loads(Path(name).read_text())
        by_key.update((_key(row), row) for row in result["rows"])
        seconds += result["seconds"]
    rows = list(by_key.values())
    table = summarise(rows)
    print_table(table)
    result = {
        "machine": platform.platform(),
        "seconds": seconds,
        "merged_from": [str(name) for name in paths],
        "rows": rows,
        "table": table,
    }
    path.write_text(json.dumps(result, indent=1))
    print(f"wrote {path}")
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["coffee", "pgaa", "synthetic"])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--sizes", nargs="+", type=int, default=[5, 10, 20, 50])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[8, 32, 128])
    parser.add_argument("--lengths", nargs="+", type=int, default=[100, 1000, 5000])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument(
        "--shard",
        default="0/1",
        help="K/N: run only every N-th fit of the grid, starting at the K-th",
    )
    parser.add_argument(
        "--threads", type=int, default=0, help="TensorFlow threads (0: its default)"
    )
    parser.add_argument(
        "--merge",
        nargs="+",
        metavar="JSON",
        help="print the table of these files (a later file's row replaces an "
        "earlier one of the same set, size, batch size and seed)",
    )
    parser.add_argument(
        "--only-mismatched",
        nargs="+",
        metavar="JSON",
        help="refit only the fits of these result files whose predict, after "
        "recomputed statistics, disagreed with training by more than 0.05 "
        "(results written before the settling phase existed)",
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.merge:
        return merge(args.merge, out / "small_data.json")
    shard, n_shards = parse_shard(args.shard)
    if args.threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    name = "small_data" + ("" if n_shards == 1 else f".shard-{shard}")
    name += ".mismatched.json" if args.only_mismatched else ".json"
    path = out / name
    wanted = _mismatched(args.only_mismatched) if args.only_mismatched else None
    rows = []
    position = -1
    t0 = time.perf_counter()
    for name, length, X, y in data_sets(args):
        smallest = np.unique(y, return_counts=True)[1].min()
        for n in args.sizes:
            if n + 2 > smallest:  # keep at least two test spectra per class
                print(f"{name}: fewer than {n + 2} spectra per class, skipping {n}")
                continue
            for batch in args.batch_sizes:
                for seed in range(args.seeds):
                    position += 1
                    if position % n_shards != shard:
                        continue
                    if wanted is not None and (name, n, batch, seed) not in wanted:
                        continue
                    train, test = sample_split(y, n, seed)
                    row = fit_both_ways(
                        X[train], y[train], X[test], y[test], batch, seed
                    )
                    row.update(
                        set=name,
                        length=length,
                        n_per_class=n,
                        batch_size=batch,
                        seed=seed,
                    )
                    rows.append(row)
                    print(
                        f"{name} n={n} batch={batch} seed={seed}: history "
                        f"{row['history_accuracy']:.2f}, train "
                        f"{row['before_train']:.2f} -> {row['after_train']:.2f}, "
                        f"test {row['before_test']:.2f} -> {row['after_test']:.2f}"
                        f"{'  (warned)' if row['before_warned'] else ''}",
                        flush=True,
                    )
                    result = {
                        "machine": platform.platform(),
                        "seconds": time.perf_counter() - t0,
                        "rows": rows,
                        "table": summarise(rows),
                    }
                    path.write_text(json.dumps(result, indent=1))
    table = summarise(rows)
    print_table(table)
    print(f"wrote {path}")
    return table


if __name__ == "__main__":
    main()
