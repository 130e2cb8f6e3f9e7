"""The coffee IR case end to end through the command line, on a wavenumber axis.

Writes the 60 ATR-FTIR coffee spectra that chemotools ships (3 origins) as
CSV files whose header row holds the wavenumbers, then runs
``specauth train`` (crop 1800..900 cm-1, SNV) -> ``predict`` -> ``explain``
(PNG and HTML) -> ``report`` on a 45 / 15 stratified split, and prints (and
writes as JSON) the test accuracy, what the crop kept and the files made.

chemotools ships these spectra with column numbers only (0..1840), not their
wavenumbers; the header written here is an *assumed* evenly spaced
4000 -> 450 cm-1 grid (1841 points, 1.93 cm-1 apart, a common FTIR spacing),
so band positions in the figures show the mechanics, not assignments.

Usage::

    python benchmarks/coffee_axis_cli.py --out /tmp/coffee_cli
    chromium --headless --screenshot=shot.png --window-size=1100,5200 \\
        file:///tmp/coffee_cli/report.html
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

WAVENUMBERS = np.linspace(4000.0, 450.0, 1841)


def _write_spectra(path: Path, X: np.ndarray, rows: np.ndarray) -> None:
    header = ["wavenumber (cm-1)", *(f"{w:.4f}" for w in WAVENUMBERS)]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i in rows:
            writer.writerow([f"sample{i}", *(f"{v:.6g}" for v in X[i])])


def main() -> None:
    from chemotools.datasets import load_coffee
    from sklearn.model_selection import train_test_split

    from specauth.cli.main import main as specauth

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="coffee_cli", help="folder for every file")
    parser.add_argument("--epochs", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    spectra, labels = load_coffee()
    X, y = spectra.to_numpy(), labels.to_numpy().ravel().astype(str)
    train, test = train_test_split(
        np.arange(len(y)), test_size=15, stratify=y, random_state=args.seed
    )
    _write_spectra(out / "coffee_train.csv", X, train)
    _write_spectra(out / "coffee_test.csv", X, test)
    (out / "y_train.csv").write_text("\n".join(y[train]) + "\n")
    (out / "y_test.csv").write_text("\n".join(y[test]) + "\n")
    model = out / "model"
    steps = {}
    t0 = time.perf_counter()
    commands = {
        "train": [
            "train",
            *("--x", str(out / "coffee_train.csv"), "--y", str(out / "y_train.csv")),
            *("--out", str(model), "--crop", "1800:900", "--preprocess", "snv"),
            *("--epochs", str(args.epochs), "--seed", str(args.seed), "--quiet"),
        ],
        "predict": [
            "predict",
            str(model),
            *("--x", str(out / "coffee_test.csv"), "--out", str(out / "pred.csv")),
        ],
        "explain_png": [
            "explain",
            str(model),
            *("--x", str(out / "coffee_test.csv"), "--first", "3"),
            *("--out", str(out / "explanations")),
        ],
        "explain_html": [
            "explain",
            str(model),
            *("--x", str(out / "coffee_test.csv"), "--index", "0"),
            *("--format", "html", "--out", str(out / "explanations")),
        ],
        "report": [
            "report",
            str(model),
            *("--x", str(out / "coffee_test.csv"), "--y", str(out / "y_test.csv")),
            *("--out", str(out / "report.html")),
        ],
    }
    for name, command in commands.items():
        start = time.perf_counter()
        code = specauth(command)
        steps[name] = {"exit_code": code, "seconds": time.perf_counter() - start}
        if code != 0:
            raise SystemExit(f"specauth {name} failed with exit code {code}")
    with open(out / "pred.csv", newline="") as handle:
        predicted = [row["label"] for row in csv.DictReader(handle)]
    accuracy = float(np.mean(np.array(predicted) == y[test]))
    result = {
        "data": "chemotools coffee ATR-FTIR, 3 origins, 45 train / 15 test",
        "axis_note": "assumed 4000->450 cm-1 grid (chemotools ships no wavenumbers)",
        "test_accuracy_open_set_labels": accuracy,
        "rejected": int(sum(p == "unknown" for p in predicted)),
        "steps": steps,
        "total_seconds": time.perf_counter() - t0,
        "files": sorted(str(p.relative_to(out)) for p in out.rglob("*.png"))
        + sorted(str(p.relative_to(out)) for p in out.rglob("*.html")),
    }
    (out / "coffee_axis_cli.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
