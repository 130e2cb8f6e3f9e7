"""TemplateMatcher against the published loop: speed and identical rankings.

X-ray free-electron-laser users rank single-particle diffraction patterns by
their L2 distance to rotated copies of a few hundred hand-picked clean ones.
The published script loops in Python: for each pattern, for each template,
for each rotation, ``np.sum((x - t) ** 2)``, keeping the minimum. This script
times that loop (on ``--n-loop`` patterns, its per-pattern time extrapolated)
and :class:`specauth.ood.TemplateMatcher` (on ``--n`` patterns) in the same
run, median of ``--repeats`` runs each, on ``--n-templates`` references x 36
rotations by 5 degrees of 260 x 257 float32 patterns, and checks on the loop's
patterns that the rankings are identical.

TemplateMatcher (defaults: float32 templates, ``n_components=64``) rules
most templates out by exact lower bounds (projections on the templates'
principal directions) and computes the loop's float64 distance for the few
left, so its speed depends on the data; the answer does not.

The loop gets its rotated templates precomputed (the same
``scipy.ndimage.rotate`` calls, bilinear, ``reshape=False``), so only the
distances are timed. It runs in float32, as the published script does on
float32 patterns; a float64 loop (once) checks that TemplateMatcher's scores
are its values bit for bit.

Patterns are ``log1p`` of ``specauth.datasets.make_diffraction_patterns``
(spheres, chains of spheres and spheroids) when it exists, else of a small
generator here: ``|FFT|^2`` of an object made of a few Gaussian blobs
(centrosymmetric speckle, like single-particle diffraction). The queries are
half references turned by a random angle with noise, half new patterns.

Usage::

    python benchmarks/template_matching.py [--n 2000] [--n-loop 40]
        [--n-templates 200] [--repeats 3] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

from specauth.ood import TemplateMatcher

ROOT = Path(__file__).resolve().parents[1]
SHAPE = (260, 257)
ANGLES = 5.0 * np.arange(36)


def _objects_to_patterns(rng, n):
    """``n`` log diffraction patterns of random blob objects (float32)."""
    h, w = SHAPE
    rows, cols = np.indices((h, w)) - np.array([h // 2, w // 2])[:, None, None]
    out = np.empty((n, h, w), dtype=np.float32)
    for i in range(n):
        obj = np.zeros((h, w))
        for _ in range(rng.integers(3, 7)):
            centre = rng.normal(scale=6.0, size=2)
            width = rng.uniform(2.0, 5.0)
            obj += np.exp(
                -((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2) / (2 * width**2)
            )
        intensity = np.abs(np.fft.fftshift(np.fft.fft2(obj))) ** 2
        out[i] = np.log1p(intensity / intensity.max() * 1e4)
    return out


def make_patterns(rng, n):
    """Reference-like patterns: the colleague's generator, or the one above."""
    own = "blob objects |FFT|^2 (this script)"
    try:
        from specauth.datasets import make_diffraction_patterns
    except ImportError:
        return _objects_to_patterns(rng, n), own
    data = make_diffraction_patterns(
        n,
        SHAPE,
        classes=("single", "multiple", "non-spherical"),
        random_state=int(rng.integers(2**31)),
    )
    X = np.log1p(np.asarray(data.X, dtype=np.float32))
    return X, "log1p of specauth.datasets.make_diffraction_patterns"


def make_queries(rng, references, n):
    """Half turned, noisy references; half patterns of new objects."""
    n_known = n // 2
    picks = rng.integers(0, references.shape[0], n_known)
    known = np.empty((n_known, *SHAPE), dtype=np.float32)
    for i, pick in enumerate(picks):
        turned = ndimage.rotate(
            references[pick], rng.uniform(0, 180), reshape=False, order=1
        )
        known[i] = turned + rng.normal(scale=0.05 * turned.std(), size=SHAPE)
    unknown, _ = make_patterns(rng, n - n_known)
    order = rng.permutation(n)
    return np.concatenate([known, unknown])[order]


def loop_reference(patterns, rotated):
    """The published loop: for each pattern, each template, each rotation."""
    scores = np.empty(len(patterns))
    for i, x in enumerate(patterns):
        best = np.inf
        for template in rotated:
            for t in template:
                d = np.sum((x - t) ** 2)
                if d < best:
                    best = d
        scores[i] = -np.sqrt(best)
    return scores


def loop_float64(patterns, rotated):
    """The same loop in float64 (each template cast as it is used)."""
    scores = np.empty(len(patterns))
    for i, x in enumerate(patterns.astype(np.float64)):
        best = min(
            np.sum((x - t.astype(np.float64)) ** 2)
            for template in rotated
            for t in template
        )
        scores[i] = -np.sqrt(best)
    return scores


def _median_time(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def run(args):
    rng = np.random.default_rng(args.seed)
    references, source = make_patterns(rng, args.n_templates)
    queries = make_queries(rng, references, args.n)
    subset = queries[:: max(1, args.n // args.n_loop)][: args.n_loop]

    start = time.perf_counter()
    matcher = TemplateMatcher(angles=ANGLES).fit(references)
    fit_s = time.perf_counter() - start
    rotated = np.stack(
        [
            [ndimage.rotate(p, a, reshape=False, order=1) for a in ANGLES]
            for p in references
        ]
    )
    same_templates = np.array_equal(
        rotated.reshape(len(matcher.templates_), -1), matcher.templates_
    )

    ours_s, ours_times, scores = _median_time(
        lambda: matcher.score_samples(queries), args.repeats
    )
    loop_s, loop_times, loop_scores = _median_time(
        lambda: loop_reference(subset, rotated), args.repeats
    )
    loop64 = loop_float64(subset, rotated)
    ours_subset = matcher.score_samples(subset)
    ours_rate = args.n / ours_s
    loop_rate = len(subset) / loop_s
    return {
        "patterns": f"{SHAPE[0]}x{SHAPE[1]} float32, {source}",
        "n_templates": args.n_templates,
        "n_rotations": ANGLES.size,
        "n_ours": args.n,
        "n_loop": len(subset),
        "repeats": args.repeats,
        "cpu_count": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "fit_s": round(fit_s, 2),
        "templates_equal_scipy_rotate": bool(same_templates),
        "ours_s": [round(t, 3) for t in ours_times],
        "loop_s": [round(t, 3) for t in loop_times],
        "ours_patterns_per_s": round(ours_rate, 2),
        "loop_patterns_per_s": round(loop_rate, 3),
        "loop_s_per_pattern": round(1.0 / loop_rate, 4),
        "speedup": round(ours_rate / loop_rate, 1),
        "scores_subset_equal_to_full_run": bool(
            np.array_equal(
                ours_subset, scores[:: max(1, args.n // args.n_loop)][: args.n_loop]
            )
        ),
        "ranking_identical_to_float32_loop": bool(
            np.array_equal(
                np.argsort(ours_subset, kind="stable"),
                np.argsort(loop_scores, kind="stable"),
            )
        ),
        "max_rel_diff_float32_loop": float(
            np.max(np.abs(ours_subset - loop_scores) / np.abs(loop_scores))
        ),
        "scores_equal_to_float64_loop": bool(np.array_equal(ours_subset, loop64)),
        "ranking_identical_to_float64_loop": bool(
            np.array_equal(
                np.argsort(ours_subset, kind="stable"),
                np.argsort(loop64, kind="stable"),
            )
        ),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="patterns ranked by us")
    parser.add_argument("--n-loop", type=int, default=40, help="patterns of the loop")
    parser.add_argument("--n-templates", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    result = run(args)
    print(json.dumps(result, indent=2), flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "template_matching.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
