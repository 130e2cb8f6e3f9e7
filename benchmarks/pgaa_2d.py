"""The 2D path on PGAA: ImageNet MobileNetV2 on Gramian angular fields (issue 4).

Measured in one run:

1. **Closed- and open-set quality**, 3 seeds: ``CNNClassifier("mobilenetv2",
   model__imaging="gasf", model__image_size=224, model__weights=<the shared
   ImageNet MobileNetV2 file>, model__preprocessing="torch")`` -- raw spectra
   in, 224x224 GASF computed inside the network, frozen ImageNet base,
   GAP -> dropout -> Dense head, estimator defaults otherwise. Every detector
   of :mod:`specauth.ood` is fitted on that network's training embedding or
   logits (as in ``pgaa_openset.py``): closed-set test accuracy, AUROC and
   FPR@95TPR (known test vs unknown), TEFF at the training-data threshold.
   ``--fine-tune N`` adds N epochs of fine-tuning (unfrozen base,
   discriminative learning rates).
2. **Peak RSS of the whole 2D training** (the process's peak resident memory
   when all seeds are trained, before the reference recipe below runs).
3. **Seconds per spectrum of featurisation**: ours (``transform`` of the
   trained estimator: on-device imaging at 224 + base + pooling, batched)
   against the reference recipe: a 2631x2631 float64 GASF computed on the CPU
   (pyts if installed, else numpy), copied to 3 channels, through the same
   MobileNetV2 base at full size and pooled -- on a few spectra.

Usage::

    python benchmarks/pgaa_2d.py [--seeds 3] [--reference-spectra 3]
                                 [--fine-tune 0] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pgaa_openset import (  # noqa: E402
    ALPHAS,
    evaluate_detectors,
    load,
    print_table,
    summarize,
)

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / ".." / "shared" / "weights" / "mobilenet_v2_imagenet_notop.weights.h5"
IMAGE_SIZE = 224


def peak_rss_gb():
    """Peak resident memory of this process so far, in GB (Linux: KiB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def classifier(seed, fine_tune):
    from specauth.estimators import CNNClassifier

    return CNNClassifier(
        "mobilenetv2",
        fine_tune_epochs=fine_tune,
        random_state=seed,
        model__imaging="gasf",
        model__image_size=IMAGE_SIZE,
        model__weights=str(WEIGHTS),
        model__preprocessing="torch",
    )


def quality(seeds, fine_tune):
    """Train one 2D network per seed; evaluate every detector on it."""
    from specauth.openset import clear_classifier_cache

    per_seed, seconds, fitted = [], [], None
    for seed in range(seeds):
        data = load("pgaa", seed)
        t0 = time.perf_counter()
        rows, _ = evaluate_detectors(
            data, seed, "train", clf=classifier(seed, fine_tune)
        )
        seconds.append(time.perf_counter() - t0)
        per_seed.append(rows)
        if fitted is None:
            fitted = _trained_copy(seed, fine_tune, data)
        clear_classifier_cache()
        best = max(rows, key=lambda n: rows[n]["AUROC"])
        print(
            f"seed {seed}: closed-set accuracy "
            f"{rows[best]['closed_set_accuracy']:.4f}, best AUROC {best} "
            f"{rows[best]['AUROC']:.4f}, {seconds[-1]:.0f} s (train + all "
            f"detectors), peak RSS so far {peak_rss_gb():.2f} GB",
            flush=True,
        )
    return per_seed, seconds, fitted


def _trained_copy(seed, fine_tune, data):
    """The cached network of ``seed`` (trained once, shared with the detectors)."""
    from specauth.openset import OpenSetClassifier

    osc = OpenSetClassifier(classifier(seed, fine_tune))
    osc.fit(data[0], data[1])
    return osc.classifier_


def reference_gasf(x):
    """Full-size float64 GASF of one spectrum, as the reference recipe makes it."""
    try:
        from pyts.image import GramianAngularField

        return GramianAngularField(method="summation").fit_transform(x[None])[0]
    except ImportError:
        low, high = x.min(), x.max()
        scaled = np.clip((2 * x - high - low) / (high - low), -1, 1)
        phi = np.arccos(scaled)
        return np.cos(phi[:, None] + phi[None, :])


def featurisation_speed(fitted, X, n_reference):
    """Seconds per spectrum: on-device imaging at 224 vs full-size images."""
    import keras

    batch = X[:64]
    fitted.transform(batch[:8])  # build and trace once
    t0 = time.perf_counter()
    ours_features = fitted.transform(batch)
    ours = (time.perf_counter() - t0) / len(batch)

    length = X.shape[1]
    base = keras.applications.MobileNetV2(
        include_top=False, weights=None, input_shape=(length, length, 3)
    )
    base.load_weights(str(WEIGHTS))
    pool = keras.layers.GlobalAveragePooling2D()
    timings = []
    for x in X[:n_reference]:
        t0 = time.perf_counter()
        image = reference_gasf(np.asarray(x, dtype=np.float64))
        rgb = np.repeat(image[None, :, :, None], 3, axis=-1).astype(np.float32)
        features = np.asarray(pool(base(rgb, training=False)))
        timings.append(time.perf_counter() - t0)
    theirs = float(np.median(timings))
    return {
        "ours_s_per_spectrum": ours,
        "ours_batch": len(batch),
        "ours_embedding_dim": int(ours_features.shape[1]),
        "reference_s_per_spectrum": theirs,
        "reference_s_per_spectrum_all": timings,
        "reference_image_shape": [length, length, 3],
        "reference_features_dim": int(features.shape[1]),
        "speedup": theirs / ours,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--reference-spectra", type=int, default=3)
    parser.add_argument("--fine-tune", type=int, default=0, metavar="EPOCHS")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    if not WEIGHTS.is_file():
        raise SystemExit(f"Needs the shared MobileNetV2 weights at {WEIGHTS}.")
    per_seed, seconds, fitted = quality(args.seeds, args.fine_tune)
    training_rss = peak_rss_gb()
    summary = summarize(per_seed)
    print_table(
        f"PGAA 2D path (MobileNetV2 ImageNet, GASF {IMAGE_SIZE}, fine-tune "
        f"{args.fine_tune} epochs): {args.seeds} seeds",
        summary,
    )
    accuracy = summary["KNNDetector"]["closed_set_accuracy"]
    print(
        f"  closed-set test accuracy mean {accuracy['mean']:.4f}, min "
        f"{accuracy['min']:.4f} (target >= 0.98)"
    )
    print(f"  peak RSS of the 2D training: {training_rss:.2f} GB (target < 4 GB)")
    X_test = load("pgaa", 0)[2]
    speed = featurisation_speed(fitted, X_test, args.reference_spectra)
    print(
        f"  featurisation: ours {speed['ours_s_per_spectrum'] * 1e3:.1f} ms/spectrum "
        f"(224, on device, batch {speed['ours_batch']}); reference "
        f"{speed['reference_s_per_spectrum']:.2f} s/spectrum (2631x2631 image, "
        f"median of {args.reference_spectra}); speed-up {speed['speedup']:.0f}x "
        "(target >= 50x)"
    )
    result = {
        "config": {
            "seeds": args.seeds,
            "fine_tune_epochs": args.fine_tune,
            "image_size": IMAGE_SIZE,
            "alphas": list(ALPHAS),
        },
        "detectors": summary,
        "per_seed": per_seed,
        "seconds_per_seed": seconds,
        "training_peak_rss_gb": training_rss,
        "featurisation": speed,
        "peak_rss_gb_end": peak_rss_gb(),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "pgaa_2d.json").write_text(json.dumps(result, indent=2))
    print(f"\nwritten: {out / 'pgaa_2d.json'}")
    return result


if __name__ == "__main__":
    main()
