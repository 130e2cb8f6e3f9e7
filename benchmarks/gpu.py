"""GPU readiness: throughput of the 1D, 2D, GAF and pattern paths per backend.

Item 4 of issue 19. For each Keras backend of ``--backends`` (each in its own
process, with ``KERAS_BACKEND`` set, run by ``--python``, by default
``$SPECAUTH_BENCH_PYTHON`` or this Python; a backend whose
framework is not installed there is reported as skipped), on the device that
backend uses (its first GPU if it sees one, else the CPU), this script
measures the parts of ``--parts``:

- ``train1d`` -- (i) training spectra/s of the default 1D CNN: the network
  ``CNNClassifier(dtype_policy=...)`` builds (``build_network``) for
  ``--n-train`` synthetic 2631-point spectra (PGAA size, 10 classes), trained
  by :func:`specauth.training.fit_network` (Adam, one-cycle, batch
  ``--train-batch``, 32 like the estimator) for ``1 + --repeats`` epochs. The
  figure is the median over the epochs after the first (which compiles) of
  ``n_train / epoch seconds``. The estimator's own work around the loop
  (validation, label encoding) is not included.
- ``twod`` -- (ii) inference spectra/s of the 2D path at batch ``--batch``:
  ``CNNFactory("mobilenetv2", weights=None, imaging="gasf", image_size=224)``
  on raw 2631-point spectra (Gramian field computed on the device, MobileNetV2
  at 224, logits), against the reference recipe: per spectrum, a 2631 x 2631
  float64 GASF computed on the host (pyts if installed, else numpy, as
  ``pgaa_2d.py`` does), then the same factory network on images
  (``imaging=None``, input range (-1, 1)) at full 2631 x 2631 size, one
  spectrum per call, on ``--reference-spectra`` spectra only (slow). The ratio
  is ours / reference. Also timed: ``reference_224``, the same host image
  resized to 224 in the network (its ``Resizing`` layer) before the base.
- ``gaf`` -- (iii) spectra/s of :class:`~specauth.models.layers.GramianAngularLayer`
  on 2631-point spectra, at image size 224 (batch ``--batch``) and at full
  size 2631 (batch ``--full-batch``: 27.7 MB of image per spectrum). The model
  is ``Input -> GramianAngularLayer -> GlobalAveragePooling2D``: the images
  are made and consumed on the device and one number per spectrum comes back
  (a compiler may fuse the pooling into the field, as it may fuse the next
  layer of a real network).
- ``patterns`` -- (iv) inference patterns/s of the pattern networks
  ``resnet2d`` and ``vgg2d`` (default options) on 260 x 257 x 1 patterns at
  batch ``--batch``.

All networks have random weights (speed does not depend on them) and are
built under ``--dtype-policy`` (``dtype_policy_scope`` + ``float32_head``;
the GAF layer computes in float32 whatever the policy). Inference is
``network.predict(x, batch_size=batch)``, which returns numpy arrays, so a
call ends when the device has finished: one call on one batch first (it
compiles; reported as ``first_call_s``), then timed calls of as many batches
as make a call last ``--min-seconds`` (at most 64), the figure being the
median rate of ``--repeats`` calls.

Targets (issue 19, on a GPU): (ii) >= 3,000 spectra/s and >= 100x the
reference; (iii) >= 10,000 spectra/s; (iv) >= 10,000 patterns/s. Printed: a
table per backend (device, figure, value, target, met); ``--out`` (default
``benchmarks/results/gpu.json``) holds every timing, the settings, the
machine, the library versions, each backend's device and the git commit.
``--quick`` is a smoke run with tiny batches (see its help).

Usage::

    python benchmarks/gpu.py [--backends tensorflow jax torch]
        [--parts train1d twod gaf patterns] [--python [BACKEND=]PATH ...]
        [--batch 256] [--full-batch 16] [--n-train 2048] [--train-batch 32]
        [--repeats 3] [--min-seconds 1.0] [--reference-spectra 3]
        [--dtype-policy {float32,mixed_float16,mixed_bfloat16}] [--quick]
        [--out benchmarks/results/gpu.json]

On a GPU machine with jax and torch (no TensorFlow)::

    python benchmarks/gpu.py --backends jax torch
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from imaging import N_POINTS, spectra  # noqa: E402
from nir_regression import git_state  # noqa: E402
from pgaa_2d import IMAGE_SIZE, reference_gasf  # noqa: E402

from specauth.models.precision import DTYPE_POLICIES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("train1d", "twod", "gaf", "patterns")
BACKENDS = ("tensorflow", "jax", "torch")
PATTERN_SHAPE = (260, 257, 1)
PATTERN_NETWORKS = ("resnet2d", "vgg2d")
N_CLASSES = 10
MAX_BATCHES_PER_CALL = 64
TARGETS = {"twod": 3000.0, "twod_ratio": 100.0, "gaf": 10_000.0, "patterns": 10_000.0}
QUICK = {
    "batch": 8,
    "full_batch": 2,
    "n_train": 64,
    "repeats": 2,
    "min_seconds": 0.2,
    "reference_spectra": 1,
}


# ------------------------------------------------------------------ timing
def throughput(network, x, batch, args):
    """Inputs/s of ``network.predict`` at ``batch`` on copies of ``x`` (one batch)."""

    def call(inputs):
        start = time.perf_counter()
        np.asarray(network.predict(inputs, batch_size=batch, verbose=0))
        return time.perf_counter() - start

    first = call(x)  # compiles
    probe = call(x)
    steps = max(1, min(MAX_BATCHES_PER_CALL, math.ceil(args.min_seconds / probe)))
    inputs = np.concatenate([x] * steps) if steps > 1 else x
    seconds = [probe] if steps == 1 else []
    while len(seconds) < args.repeats:
        seconds.append(call(inputs))
    rates = [len(inputs) / s for s in seconds]
    return {
        "per_s": float(np.median(rates)),
        "per_s_all": rates,
        "batch": batch,
        "batches_per_call": steps,
        "first_call_s": first,
    }


def build(args, builder, input_shape):
    """``builder(input_shape, N_CLASSES)`` under the dtype policy, float32 head."""
    from specauth.models import dtype_policy_scope, float32_head

    with dtype_policy_scope(args.dtype_policy):
        return float32_head(builder(input_shape, N_CLASSES, seed=0))


def pgaa_sized(n):
    """``n`` synthetic 2631-point spectra, float32, shape (n, 2631, 1)."""
    return spectra(n).astype(np.float32)[..., None]


# ------------------------------------------------------------------- parts
def part_train1d(args, keras):
    """(i) Training spectra/s of CNNClassifier's default network."""
    from specauth.estimators import CNNClassifier
    from specauth.training import fit_network

    X = np.log1p(spectra(args.n_train)).astype(np.float32)
    y = np.arange(args.n_train) % N_CLASSES
    estimator = CNNClassifier(dtype_policy=args.dtype_policy, random_state=0)
    network, X, targets = estimator.build_network(X, y)
    starts, seconds = [], []
    timer = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: starts.append(time.perf_counter()),
        on_epoch_end=lambda epoch, logs: seconds.append(
            time.perf_counter() - starts[-1]
        ),
    )
    fit_network(
        network,
        X,
        targets,
        epochs=1 + args.repeats,
        batch_size=args.train_batch,
        learning_rate=3e-3,
        callbacks=[timer],
        refresh_batch_norm=False,
    )
    rates = [args.n_train / s for s in seconds[1:]]
    return {
        "model": estimator.model,
        "per_s": float(np.median(rates)),
        "per_s_all": rates,
        "first_epoch_s": seconds[0],
        "n_train": args.n_train,
        "batch": args.train_batch,
    }


def reference_rate(args, X, image_size):
    """Spectra/s of the reference recipe: host GASF, then the network on images."""
    from specauth.models import CNNFactory

    factory = CNNFactory(
        "mobilenetv2", weights=None, image_size=image_size, input_range=(-1, 1)
    )
    network = build(args, factory, (N_POINTS, N_POINTS, 1))

    def one(x):
        start = time.perf_counter()
        image = reference_gasf(x[:, 0].astype(np.float64)).astype(np.float32)
        np.asarray(network.predict(image[None, :, :, None], batch_size=1, verbose=0))
        return time.perf_counter() - start

    first = one(X[0])  # compiles
    seconds = [one(X[(1 + i) % len(X)]) for i in range(args.reference_spectra)]
    return {
        "per_s": 1.0 / float(np.median(seconds)),
        "s_per_spectrum_all": seconds,
        "n_spectra": args.reference_spectra,
        "host_gaf": "pyts" if importlib.util.find_spec("pyts") else "numpy",
        "image_into_network": [N_POINTS, N_POINTS, 1],
        "base_input_size": image_size or N_POINTS,
        "batch": 1,
        "first_call_s": first,
    }


def part_twod(args, keras):
    """(ii) On-device GASF + MobileNetV2 at 224 vs the reference recipe."""
    from specauth.models import CNNFactory

    X = pgaa_sized(args.batch)
    factory = CNNFactory(
        "mobilenetv2", weights=None, imaging="gasf", image_size=IMAGE_SIZE
    )
    ours = throughput(build(args, factory, (N_POINTS, 1)), X, args.batch, args)
    keras.backend.clear_session()
    reference = reference_rate(args, X, None)
    keras.backend.clear_session()
    resized = reference_rate(args, X, IMAGE_SIZE)
    return {
        "ours": ours,
        "reference": reference,
        "reference_224": resized,
        "ratio": ours["per_s"] / reference["per_s"],
        "ratio_224": ours["per_s"] / resized["per_s"],
    }


def part_gaf(args, keras):
    """(iii) GramianAngularLayer spectra/s at image sizes 224 and 2631."""
    from specauth.models.layers import GramianAngularLayer

    X = pgaa_sized(max(args.batch, args.full_batch))
    rows = {}
    for size, batch in ((IMAGE_SIZE, args.batch), (N_POINTS, args.full_batch)):
        inputs = keras.Input((N_POINTS, 1))
        field = GramianAngularLayer(image_size=size)(inputs)
        pooled = keras.layers.GlobalAveragePooling2D()(field)
        model = keras.Model(inputs, pooled)
        rows[str(size)] = throughput(model, X[:batch], batch, args)
        keras.backend.clear_session()
    return rows


def part_patterns(args, keras):
    """(iv) Patterns/s of the pattern networks on 260 x 257 patterns."""
    from specauth.models import get_model, list_models

    x = np.random.default_rng(0).gamma(1.0, 1.0, (args.batch, *PATTERN_SHAPE))
    x = x.astype(np.float32)
    rows = {}
    for name in PATTERN_NETWORKS:
        if name not in list_models():
            rows[name] = {"skipped": f"no network {name!r} in list_models()"}
            continue
        network = build(args, get_model(name), PATTERN_SHAPE)
        rows[name] = throughput(network, x, args.batch, args)
        keras.backend.clear_session()
    return rows


PART_FUNCTIONS = {
    "train1d": part_train1d,
    "twod": part_twod,
    "gaf": part_gaf,
    "patterns": part_patterns,
}


# --------------------------------------------------------- backend process
def device_name(backend):
    """The accelerator the backend computes on, in words ("CPU" if none)."""
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if not gpus:
            return "CPU"
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"GPU {details.get('device_name', gpus[0].name)} (x{len(gpus)})"
    if backend == "jax":
        import jax

        devices = jax.devices()
        kind, where = devices[0].device_kind, devices[0].platform.upper()
        name = where if kind.upper() == where else f"{where} {kind}"
        return f"{name} (x{len(devices)})"
    import torch

    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        return f"GPU {torch.cuda.get_device_name(0)} (x{count})"
    return "CPU"


def measure_backend(args):
    """Every part of ``args.parts`` on this process's backend (the child)."""
    import keras

    backend = keras.backend.backend()
    framework = importlib.import_module(backend)
    result = {
        "backend": backend,
        "python": sys.executable,
        "keras": keras.__version__,
        "framework_version": framework.__version__,
        "device": device_name(backend),
        "dtype_policy": args.dtype_policy or keras.config.dtype_policy().name,
        "parts": {},
    }
    print(f"[{backend}] device: {result['device']}", flush=True)
    for part in args.parts:
        start = time.perf_counter()
        try:
            result["parts"][part] = PART_FUNCTIONS[part](args, keras)
        except Exception as err:  # one failing part must not lose the others
            traceback.print_exc()
            result["parts"][part] = {"error": f"{type(err).__name__}: {err}"}
        seconds = time.perf_counter() - start
        print(f"[{backend}] {part} done in {seconds:.0f} s", flush=True)
    return result


def child(args):
    """Measure this process's backend; write the result to ``args.child_out``."""
    backend = args.child
    if importlib.util.find_spec(backend) is None:
        result = {"skipped": f"{backend} is not installed for {sys.executable}"}
    elif os.environ.get("KERAS_BACKEND") != backend:
        result = {"skipped": f"KERAS_BACKEND is not {backend!r} in the child"}
    else:
        result = measure_backend(args)
    Path(args.child_out).write_text(json.dumps(result, indent=1))


def interpreter(args, backend):
    """The Python that runs ``backend``: ``--python BACKEND=PATH``, else PATH."""
    default = sys.executable
    for item in args.python:
        name, sep, path = item.partition("=")
        if sep and name == backend:
            return path
        if not sep:
            default = item
    return default


def run_backend(args, argv, backend):
    """Run one backend in its own process; return its result dict."""
    python = interpreter(args, backend)
    env = {**os.environ, "KERAS_BACKEND": backend}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        command = [python, __file__, *argv, "--child", backend, "--child-out", out]
        try:
            rc = subprocess.run(command, env=env).returncode
        except OSError as err:
            return {"skipped": f"cannot run {python}: {err}"}
        if rc != 0 or not out.is_file():
            return {"error": f"the {backend} process exited with {rc} (see above)"}
        return json.loads(out.read_text())


# ------------------------------------------------------------------ report
def table_rows(parts):
    """``(figure, value, target, met)`` rows of one backend's parts."""
    rows = []

    def add(label, value, unit, target=None):
        met = "-" if target is None else ("yes" if value >= target else "no")
        shown = "-" if target is None else f">= {target:,.0f}{unit}"
        number = f"{value:,.1f}" if value >= 10 else f"{value:.3g}"
        rows.append((label, number + unit, shown, met))

    for part, entry in parts.items():
        if "error" in entry:
            rows.append((part, "error: " + entry["error"][:60], "", ""))
        elif part == "train1d":
            label = f"(i) 1D CNN training, b{entry['batch']}"
            add(label, entry["per_s"], " sp/s")
        elif part == "twod":
            ours, target = entry["ours"], TARGETS["twod"]
            add(
                f"(ii) GASF+MobileNetV2, b{ours['batch']}",
                ours["per_s"],
                " sp/s",
                target,
            )
            add("     reference, 2631 base", entry["reference"]["per_s"], " sp/s")
            add("     ours / reference", entry["ratio"], "x", TARGETS["twod_ratio"])
            add("     reference, 224 base", entry["reference_224"]["per_s"], " sp/s")
            add("     ours / reference 224", entry["ratio_224"], "x")
        elif part == "gaf":
            for size, row in entry.items():
                label = f"(iii) GAF 2631->{size}, b{row['batch']}"
                add(label, row["per_s"], " sp/s", TARGETS["gaf"])
        elif part == "patterns":
            for name, row in entry.items():
                if "skipped" in row:
                    rows.append((f"(iv) {name}", "skipped", "", ""))
                    continue
                label = f"(iv) {name}, b{row['batch']}"
                add(label, row["per_s"], " pat/s", TARGETS["patterns"])
    return rows


def print_table(backend, result):
    if "skipped" in result or "parts" not in result:
        reason = result.get("skipped") or result.get("error")
        print(f"\n{backend}: skipped -- {reason}")
        return
    print(
        f"\n{backend} (keras {result['keras']}, {backend} "
        f"{result['framework_version']}, policy {result['dtype_policy']}) on "
        f"{result['device']}"
    )
    print(f"  {'figure':32s}{'measured':>18s}{'target':>18s}{'met':>5s}")
    for label, value, target, met in table_rows(result["parts"]):
        print(f"  {label:32s}{value:>18s}{target:>18s}{met:>5s}")
    if "twod" in result["parts"] and "error" not in result["parts"]["twod"]:
        n = result["parts"]["twod"]["reference"]["n_spectra"]
        print(
            "  references: 2631x2631 GASF on the host, then the network on the "
            f"image, 1 spectrum per call, median of {n}"
        )


def machine():
    """Platform, CPU, load and the git commit of the parent process."""
    cpu = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [ln for ln in cpuinfo.read_text().splitlines() if "model name" in ln]
        cpu = names[0].split(":", 1)[1].strip() if names else cpu
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "load_average_at_start": list(os.getloadavg()),
        "python": platform.python_version(),
        "git": git_state(),
    }


def current_backend():
    """KERAS_BACKEND, else the backend of ~/.keras/keras.json, else tensorflow."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    config = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "keras.json"
    try:
        return json.loads(config.read_text()).get("backend", "tensorflow")
    except (OSError, ValueError):
        return "tensorflow"


def run(args, argv):
    settings = {k: v for k, v in vars(args).items() if not k.startswith("child")}
    result = {
        "machine": machine(),
        "settings": settings,
        "targets": TARGETS,
        "backends": {},
    }
    for backend in args.backends:
        print(f"--- {backend}", flush=True)
        result["backends"][backend] = run_backend(args, argv, backend)
    for backend, entry in result["backends"].items():
        print_table(backend, entry)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"\nwrote {out}")
    return result


def parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backends", nargs="+", choices=BACKENDS, default=None)
    p.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    p.add_argument(
        "--python",
        nargs="+",
        default=[os.environ.get("SPECAUTH_BENCH_PYTHON", sys.executable)],
        metavar="[BACKEND=]PATH",
        help="interpreter of every backend, or of one (jax=/venv/bin/python)",
    )
    p.add_argument("--batch", type=int, default=256, help="inference batch")
    p.add_argument("--full-batch", type=int, default=16, help="GAF batch at 2631")
    p.add_argument("--n-train", type=int, default=2048)
    p.add_argument("--train-batch", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3, help="timed calls or epochs")
    p.add_argument("--min-seconds", type=float, default=1.0, help="per timed call")
    p.add_argument("--reference-spectra", type=int, default=3)
    p.add_argument("--dtype-policy", default=None, choices=(None, *DTYPE_POLICIES))
    p.add_argument("--quick", action="store_true", help="smoke run: " + str(QUICK))
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "gpu.json"))
    p.add_argument("--child", choices=BACKENDS, help=argparse.SUPPRESS)
    p.add_argument("--child-out", help=argparse.SUPPRESS)
    return p


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    vars(args).update(QUICK if args.quick else {})
    if min(args.batch, args.full_batch, args.n_train, args.repeats) < 1:
        raise SystemExit("--batch, --full-batch, --n-train, --repeats must be >= 1.")
    if args.child:
        return child(args)
    args.backends = args.backends or [current_backend()]
    return run(args, argv)


if __name__ == "__main__":
    main()
