"""Do the explanations point at the peaks that tell the classes apart? (issue 5)

Data: ``make_spectra`` where all classes share ``--shared`` peaks and each
class has 1 or 2 peaks of its own -- the *discriminating* peaks, whose centres
are known exactly. For every model and explanation method, over the correctly
classified test spectra: the **hit rate** is the fraction whose top-importance
point (argmax of the map for the true class) lies within ``tol`` points of a
discriminating peak centre of that class, with ``tol = 2 x the largest peak
FWHM of the data set`` (about 1.4 % of the spectrum at the default length
1536). The chance rate (a uniformly random argmax) is printed next to it.

The **peak percentile** is resolution-free: the percentile rank, within the
map, of the map's value at the discriminating peak (1 = the top point, 0.5 =
chance).

Randomisation check (Adebayo et al., 2018): the same explanations for the
same spectra from a network with re-initialised weights; reported as the mean
Spearman rank correlation between trained and random maps (near 0 = the
explanation depends on what was learned) and the random network's hit rate.

Methods: CAM, HiResCAM, Grad-CAM (last feature map; for the 1D CNN also an
earlier, finer layer) and SHAP (``ShapExplainer`` defaults: partition
explainer over 64 contiguous segments, 500 evaluations; the reference is the
mean training spectrum; at most 40 spectra per model). For the 2D model (frozen ImageNet
MobileNetV2 on 224x224 Gramian fields computed in the network) the CAMs are
reduced to the spectrum axis with ``CAM2D.spectrum_importance``.

Also: seconds per explanation for a 2631-point spectrum (1D CNN) and a
224x224 imaged spectrum (2D MobileNetV2 at alpha 0.35, weights=None: the speed
does not depend on the weights).

Usage::

    python benchmarks/explain_groundtruth.py [--seeds 2] [--length 1536]
                                             [--models cnn1d resnet1d ...]
                                             [--out benchmarks/results]

``--models`` runs a subset of the models (all by default); the JSON then holds
only those.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / ".." / "shared" / "weights" / "mobilenet_v2_imagenet_notop.weights.h5"

MODELS = {
    "cnn1d": dict(model="cnn1d"),
    "resnet1d": dict(model="resnet1d"),
    "mobilenetv2_gasf": dict(
        model="mobilenetv2",
        epochs=30,
        model__imaging="gasf",
        model__image_size=224,
        model__weights=str(WEIGHTS),
        model__preprocessing="torch",
    ),
}
METHODS = {
    "cam": dict(method="cam"),
    "hirescam": dict(method="hirescam"),
    "gradcam": dict(method="gradcam"),
    "shap": dict(),
}
#: SHAP needs max_evals network calls per spectrum: explain at most this many.
SHAP_MAX_SPECTRA = 40
#: Gradient methods on an earlier (finer) feature map of the 1D CNN: block 1
#: before its pooling, 2 points per position (the last map: 16 at 1536 points).
EARLY_LAYER = {"cnn1d": "block1_relu"}


def data_set(seed, length, shared):
    from sklearn.model_selection import train_test_split

    from specauth.datasets import make_spectra

    d = make_spectra(
        n_classes=4,
        n_samples_per_class=80,
        length=length,
        shared_peaks=shared,
        n_peaks=(1, 2),
        random_state=seed,
    )
    split = train_test_split(d.X, d.y, test_size=0.25, stratify=d.y, random_state=seed)
    centres = {c: d.peaks[c][d.discriminating[c], 0] for c in d.target_names}
    widest = max(float(p[:, 1].max()) for p in d.peaks.values())
    return split, centres, 2.0 * widest


def preprocess():
    from sklearn.pipeline import make_pipeline

    from specauth.preprocessing import LogTransform, SpectrumNormalizer

    return make_pipeline(SpectrumNormalizer("sum"), LogTransform(1e-7))


def hit_rate(maps, labels, centres, tol):
    hits = [
        np.min(np.abs(centres[c] - np.argmax(m))) <= tol
        for m, c in zip(maps, labels, strict=True)
    ]
    return float(np.mean(hits)) if hits else float("nan")


def peak_percentile(maps, labels, centres):
    """Mean percentile rank of the map at the class's discriminating peaks.

    For each spectrum, the map value at the best of its class's discriminating
    peak centres, ranked among all points of the map: 1 = the top point, 0.5
    = what a random map gives. Unlike the hit rate it does not depend on the
    map's resolution (a 7x7 CAM of a 224x224 field cannot place an argmax
    within a few points).
    """
    ranks = []
    for m, c in zip(maps, labels, strict=True):
        order = np.argsort(np.argsort(m)) / max(len(m) - 1, 1)
        ranks.append(max(order[int(round(p))] for p in centres[c]))
    return float(np.mean(ranks)) if ranks else float("nan")


def chance_rate(labels, centres, tol, length):
    covered = [
        np.any(
            np.abs(np.arange(length)[:, None] - centres[c][None]) <= tol, axis=1
        ).mean()
        for c in labels
    ]
    return float(np.mean(covered))


def spearman_rows(a, b):
    from scipy.stats import spearmanr

    return float(
        np.nanmean([spearmanr(x, y).statistic for x, y in zip(a, b, strict=True)])
    )


def explain(clf, X, labels, method, layer, background=None):
    from specauth.explain import CAM1D, CAM2D, ShapExplainer

    if method == "shap":
        # Model-agnostic: 64 contiguous segments of the spectrum, the mean
        # training spectrum as the reference, 500 evaluations, for 1D and
        # imaged models alike.
        explainer = ShapExplainer(clf, background=background, random_state=0)
        return explainer.explain(X, labels)
    two_d = "imaging" in [layer_.name for layer_ in clf.network_.layers]
    if two_d:
        cam = CAM2D(clf, **METHODS[method], layer=layer)
        return cam.spectrum_importance(X, labels)
    return CAM1D(clf, **METHODS[method], layer=layer).explain(X, labels)


def randomised(clf):
    """A copy of ``clf`` whose network has freshly initialised weights."""
    import pickle

    rand = pickle.loads(pickle.dumps(clf))
    network = rand.network_
    fresh = type(network).from_config(network.get_config())
    rand._set_network(fresh)
    return rand


def run_seed(seed, length, shared, models=tuple(MODELS)):
    from specauth.estimators import CNNClassifier

    (X_train, X_test, y_train, y_test), centres, tol = data_set(seed, length, shared)
    prep = preprocess().fit(X_train)
    X_train, X_test = prep.transform(X_train), prep.transform(X_test)
    rows = {}
    for name in models:
        params = MODELS[name]
        t0 = time.perf_counter()
        clf = CNNClassifier(**{"random_state": seed, **params}).fit(X_train, y_train)
        fit_s = time.perf_counter() - t0
        pred = clf.predict(X_test)
        good = pred == y_test
        Xg, yg = X_test[good], y_test[good]
        rand = randomised(clf)
        variants = [(m, None) for m in METHODS]
        if name in EARLY_LAYER:
            variants += [(m, EARLY_LAYER[name]) for m in ("hirescam", "gradcam")]
        for method, layer in variants:
            key = f"{name}/{method}" + (f"@{layer}" if layer else "")
            Xm, ym = (
                (Xg, yg)
                if method != "shap"
                else (Xg[:SHAP_MAX_SPECTRA], yg[:SHAP_MAX_SPECTRA])
            )
            try:
                maps = explain(clf, Xm, ym, method, layer, X_train)
            except ValueError as err:  # e.g. "cam" on a head it does not fit
                rows[key] = {"error": str(err)}
                continue
            rmaps = explain(rand, Xm, ym, method, layer, X_train)
            rows[key] = {
                "accuracy": float(np.mean(good)),
                "n_explained": len(Xm),
                "hit_rate": hit_rate(maps, ym, centres, tol),
                "peak_percentile": peak_percentile(maps, ym, centres),
                "random_net_peak_percentile": peak_percentile(rmaps, ym, centres),
                "chance_rate": chance_rate(ym, centres, tol, length),
                "random_net_hit_rate": hit_rate(rmaps, ym, centres, tol),
                "spearman_trained_vs_random": spearman_rows(maps, rmaps),
                "fit_seconds": fit_s,
            }
            r = rows[key]
            print(
                f"seed {seed} {key:<28} acc {r['accuracy']:.3f} hit {r['hit_rate']:.3f}"
                f" peak pct {r['peak_percentile']:.2f} (random net "
                f"{r['random_net_peak_percentile']:.2f})"
                f" (chance {r['chance_rate']:.3f}, random net "
                f"{r['random_net_hit_rate']:.3f}, rank corr "
                f"{r['spearman_trained_vs_random']:+.2f})",
                flush=True,
            )
    return rows, tol


def timing():
    """Seconds per explanation: 2631-point spectrum, 224x224 imaged spectrum."""
    from specauth.datasets import make_spectra
    from specauth.estimators import CNNClassifier
    from specauth.explain import CAM1D, CAM2D

    d = make_spectra(3, 8, length=2631, random_state=0)
    out = {}
    one_d = CNNClassifier("cnn1d", epochs=1, random_state=0).fit(d.X, d.y)
    two_d = CNNClassifier(
        "mobilenetv2",
        epochs=1,
        random_state=0,
        model__imaging="gasf",
        model__image_size=224,
        model__weights=None,
        model__base_options={"alpha": 0.35},
    ).fit(d.X, d.y)
    from specauth.explain import ShapExplainer

    for label, clf, cls in (("1d_2631", one_d, CAM1D), ("2d_224", two_d, CAM2D)):
        for method in METHODS:
            if method == "shap":
                cam = ShapExplainer(clf, random_state=0)
            else:
                cam = cls(clf, method=method)
            cam.explain(d.X[:2])  # warm-up (tracing)
            t0 = time.perf_counter()
            for x in d.X[:8]:
                cam.explain(x[None])
            out[f"{label}/{method}"] = (time.perf_counter() - t0) / 8
            print(
                f"  {label:<8} {method:<9} {out[f'{label}/{method}'] * 1e3:8.1f} ms "
                "per explanation (one spectrum at a time)"
            )
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--length", type=int, default=1536)
    parser.add_argument("--shared", type=int, default=6)
    parser.add_argument(
        "--models", nargs="+", choices=list(MODELS), default=list(MODELS)
    )
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    per_seed, tols = [], []
    for seed in range(args.seeds):
        rows, tol = run_seed(seed, args.length, args.shared, args.models)
        per_seed.append(rows)
        tols.append(tol)
    keys = [k for k in per_seed[0] if "error" not in per_seed[0][k]]
    summary = {
        k: {
            stat: float(np.mean([r[k][stat] for r in per_seed]))
            for stat in per_seed[0][k]
        }
        for k in keys
    }
    print(f"\nmean over {args.seeds} seeds (tolerance {np.mean(tols):.1f} points):")
    for k, s in summary.items():
        print(
            f"  {k:<28} hit {s['hit_rate']:.3f}  chance {s['chance_rate']:.3f}  "
            f"peak pct {s['peak_percentile']:.2f} (random net "
            f"{s['random_net_peak_percentile']:.2f})  "
            f"random net {s['random_net_hit_rate']:.3f}  rank corr "
            f"{s['spearman_trained_vs_random']:+.2f}"
        )
    print("\ntime per explanation:")
    speed = timing()
    result = {
        "config": vars(args),
        "tolerance_points": tols,
        "summary": summary,
        "per_seed": per_seed,
        "seconds_per_explanation": speed,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "explain_groundtruth.json").write_text(json.dumps(result, indent=2))
    print(f"\nwritten: {out / 'explain_groundtruth.json'}")
    return result


if __name__ == "__main__":
    main()
