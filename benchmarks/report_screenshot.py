"""Screenshots of ``specauth report`` and of an interactive explanation.

Trains the default open-set model with the real ``specauth`` command
(``specauth train``: default ``cnn1d``, KNN detector, ``alpha=0.05``, 30
epochs, 25 % held out for the model card) on ``make_spectra`` data of 4
classes, writes ``specauth report`` on held-out spectra of those classes plus
spectra of 2 classes it never saw, and ``specauth explain --format html``
(bokeh) for two test spectra; then opens both HTML files in headless Chromium
and saves full-page screenshots next to a JSON summary. The headline figures
of the report (closed-set accuracy, detector AUROC, TEFF) are read back from
the predictions with :func:`specauth.openset.figures_of_merit` so the JSON
holds them too.

Usage::

    python benchmarks/report_screenshot.py [--epochs 30] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from _command import specauth_command

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    t0 = time.perf_counter()
    subprocess.run([*specauth_command(), *map(str, args)], check=True)
    return time.perf_counter() - t0


def write_data(folder, seed=0):
    """Train/test spectra of 4 classes and spectra of 2 never-trained ones."""
    from sklearn.model_selection import train_test_split

    from specauth.datasets import make_spectra

    data = make_spectra(
        n_classes=4,
        n_samples_per_class=60,
        length=1024,
        n_unknown_classes=2,
        random_state=seed,
    )
    X_train, X_test, y_train, y_test = train_test_split(
        data.X, data.y, test_size=0.3, stratify=data.y, random_state=seed
    )
    np.save(folder / "train.npy", X_train)
    (folder / "train.csv").write_text("\n".join(y_train) + "\n")
    np.save(folder / "test.npy", X_test)
    (folder / "test.csv").write_text("\n".join(y_test) + "\n")
    np.save(folder / "unknown.npy", data.X_unknown[:40])
    return X_test, np.asarray(y_test), data.X_unknown[:40]


def screenshot(html, png, scratch, height):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium not found: no screenshot")
        return None
    subprocess.run(
        [
            chromium,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={scratch}",
            f"--screenshot={png}",
            f"--window-size=1200,{height}",
            "--virtual-time-budget=5000",
            Path(html).resolve().as_uri(),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    return str(png) if Path(png).is_file() else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="specauth_report_") as tmp:
        folder = Path(tmp)
        X_test, y_test, X_unknown = write_data(folder)
        model = folder / "model"
        train_s = run(
            "train", "--x", folder / "train.npy", "--y", folder / "train.csv",
            "--out", model, "--epochs", args.epochs, "--validation-fraction", 0.25,
            "--quiet",
        )  # fmt: skip
        report = folder / "report.html"
        report_s = run(
            "report", model, "--x", folder / "test.npy", "--y", folder / "test.csv",
            "--x-unknown", folder / "unknown.npy", "--out", report,
        )  # fmt: skip
        explain_dir = folder / "explain"
        explain_s = run(
            "explain", model, "--x", folder / "test.npy", "--first", 2,
            "--format", "html", "--out", explain_dir,
        )  # fmt: skip

        from specauth.hub import load_pretrained
        from specauth.openset import figures_of_merit, ood_metrics

        loaded = load_pretrained(model)
        X_all = np.concatenate([X_test, X_unknown])
        y_all = np.concatenate([y_test, ["never-trained"] * len(X_unknown)])
        merit = figures_of_merit(
            loaded.predict(X_all), y_all, loaded.classes_, unknown_label="unknown"
        )
        auroc = ood_metrics(
            loaded.score_samples(X_test), loaded.score_samples(X_unknown)
        )["AUROC"]
        shots = {
            "report_png": screenshot(
                report, args.out / "report_screenshot.png", folder / "c1", 6400
            ),
            "explain_png": screenshot(
                sorted(explain_dir.glob("*.html"))[0],
                args.out / "explain_bokeh_screenshot.png",
                folder / "c2",
                900,
            ),
        }
        shutil.copy(report, args.out / "report.html")
        closed = float(
            np.mean(loaded.predict(X_test) == y_test)
        )  # rejections count as wrong
    result = {
        "epochs": args.epochs,
        "train_seconds": round(train_s, 1),
        "report_seconds": round(report_s, 1),
        "explain_seconds": round(explain_s, 1),
        "test_accuracy_with_rejection": closed,
        "detector_auroc": float(auroc),
        "figures_of_merit": {
            k: float(merit[k]) for k in ("TSNS", "TSPS", "TEFF", "ACC")
        },
        **shots,
    }
    print(json.dumps(result, indent=2))
    (args.out / "report_screenshot.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
