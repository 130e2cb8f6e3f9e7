"""Shared fixtures: the ../shared folder, and a quiet, CPU-only Keras."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest


def cpu_budget():
    """CPUs this process may really use: its affinity mask or its cgroup quota.

    ``os.cpu_count()`` counts the host's CPUs, which in a container limited to
    2 CPUs may be 64: thread pools sized from it oversubscribe the machine.
    """
    if hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            count = min(count, max(1, int(quota) // int(period)))
    except (OSError, ValueError):
        pass
    return count


def pin_threads():
    """Share the CPUs among the pytest-xdist workers: each worker (and every
    subprocess it starts: CLI commands, notebook kernels) gets
    ``cpu_budget() // workers`` threads for TensorFlow, XLA (jax) and BLAS.

    Without this each of the two workers sizes TensorFlow's intra- and
    inter-op pools, jax's and OpenBLAS's to every CPU it sees, and the suite's
    time depends on how many CPUs the machine reports, not on how many it has.
    Variables already set by the caller win.
    """
    workers = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    threads = str(max(1, cpu_budget() // workers))
    for name in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "TF_NUM_INTRAOP_THREADS",
        "TF_NUM_INTEROP_THREADS",
    ):
        os.environ.setdefault(name, threads)
    if threads == "1":
        os.environ.setdefault(
            "XLA_FLAGS",
            "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
        )


pin_threads()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
# On a GPU, jax runs float32 matrix products in TF32 unless told otherwise;
# the numerical tests compare with float32/float64 numpy references.
os.environ.setdefault("JAX_DEFAULT_MATMUL_PRECISION", "highest")
# jax compiles every new network's train step with XLA, which dominates the
# time of the small fits of the tests (7-9 s a fit on 2 cores, 1 s from the
# cache). Its persistent compilation cache is keyed by the compiled program,
# the jax version and the flags, so the same tiny networks built again by
# other tests (or another xdist worker, or the next run) skip the compiler.
# Nothing is cached below the defaults' 1 s compile time unless told.
_uid = getattr(os, "getuid", lambda: 0)()
os.environ.setdefault(
    "JAX_COMPILATION_CACHE_DIR",
    str(Path(tempfile.gettempdir()) / f"specauth-tests-jax-cache-{_uid}"),
)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = (PROJECT_ROOT / ".." / "shared").resolve()
PGAA_NPZ = SHARED / "data" / "pgaa" / "pgaa.npz"


def python_output(code):
    """Run ``python -c code`` in a fresh interpreter at the project root; its stdout.

    For checks of what an import loads, which only a fresh process shows.
    """
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def specauth_command():
    """The argv prefix running this Python's ``specauth`` command line."""
    script = Path(sys.executable).with_name("specauth")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "specauth"]


#: The longest test files (minutes of CPU each: scikit-learn's estimator
#: checks train ~100 networks, the guide pages and the API-contract tests
#: many more), scheduled before every other file so that no worker is left
#: with one of them after the other has run out of work.
LONG_FILES = (
    "tests/docs/test_guide_snippets.py",
    "tests/estimators/test_common.py",
    "tests/examples/test_notebooks.py",
    "tests/estimators/test_common_regressor.py",
    "tests/models/test_model_contract.py",
    "tests/cli/test_cli_explain_report.py",
    "tests/distributed/test_on_cluster.py",
    "tests/estimators/test_regressor.py",
    "tests/docs/test_docs_build.py",
    # the longest of the jax and torch lanes (.ci/backend-lanes)
    "tests/estimators/test_classifier.py",
    "tests/estimators/test_classifier_2d.py",
    "tests/cli/test_demo_patterns.py",
    "tests/explain/test_cam.py",
    "tests/cli/test_cli_regression.py",
    "tests/hub/test_pretrained.py",
    "tests/openset/test_classifier.py",
    "tests/cli/test_cli.py",
)


def pytest_collection_modifyitems(config, items):
    """Put the tests of ``LONG_FILES`` first, in that order.

    pytest-xdist runs with ``--dist loadfile --no-loadscope-reorder``: each
    file goes to one worker, whole, in this order, so a file's module-scoped
    fixtures (trained networks, the documentation build) are built once.
    (``--dist loadgroup`` does not group on pytest 9, whose node ids
    pytest-xdist 3.8 can no longer suffix with the group: every file was
    spread over both workers and its module fixtures built twice.)
    """
    rank = {path: index for index, path in enumerate(LONG_FILES)}
    order = {
        id(item): rank.get(item.nodeid.split("::")[0], len(rank)) for item in items
    }
    items.sort(key=lambda item: order[id(item)])  # stable: the rest keep their order


@pytest.fixture(scope="session", autouse=True)
def quick_compilation():
    """Compile the tests' networks with the backends' graph optimizers off.

    The tests train hundreds of small networks for a few steps each, and
    compiling them costs more than running them: TensorFlow's graph
    optimizer (grappler) rewrites every traced step before its first run,
    and XLA optimizes every program jax compiles. Measured on 2 cores, a
    small ``CNNClassifier`` fit took ~25 % less time on TensorFlow and ~30 %
    less on jax without them. What the tests check (shapes, values within
    tolerance, behaviour) does not depend on them.

    On TensorFlow only this process is affected: the subprocesses of the
    tests (the command line, notebooks, Dask workers, the other backends)
    run grappler as users do, and their predictions still equal this
    process's bit for bit. On jax the results of optimized and unoptimized
    programs differ in the last bits (2.5e-7 relative, measured), so the
    setting goes to the subprocesses too (``JAX_DISABLE_MOST_OPTIMIZATIONS``)
    and the tests that compare predictions across processes bit for bit
    compare like with like. ``SPECAUTH_TEST_OPTIMIZE=1`` keeps the
    optimizers on everywhere.
    """
    if os.environ.get("SPECAUTH_TEST_OPTIMIZE") == "1":
        return
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    elif backend == "jax":
        import jax

        os.environ["JAX_DISABLE_MOST_OPTIMIZATIONS"] = "1"  # for subprocesses
        jax.config.update("jax_disable_most_optimizations", True)


@pytest.fixture(scope="session")
def pgaa_npz():
    """Path of the real PGAA data set; skips when ../shared is absent."""
    if not PGAA_NPZ.is_file():
        pytest.skip(f"PGAA data not found at {PGAA_NPZ} (../shared is absent)")
    return PGAA_NPZ
