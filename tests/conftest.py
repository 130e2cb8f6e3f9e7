"""Shared fixtures: the ../shared folder, and a quiet, CPU-only Keras."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
# On a GPU, jax runs float32 matrix products in TF32 unless told otherwise;
# the numerical tests compare with float32/float64 numpy references.
os.environ.setdefault("JAX_DEFAULT_MATMUL_PRECISION", "highest")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = (PROJECT_ROOT / ".." / "shared").resolve()
PGAA_NPZ = SHARED / "data" / "pgaa" / "pgaa.npz"


def specauth_command():
    """The argv prefix running this Python's ``specauth`` command line."""
    script = Path(sys.executable).with_name("specauth")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "specauth"]


@pytest.fixture(scope="session")
def pgaa_npz():
    """Path of the real PGAA data set; skips when ../shared is absent."""
    if not PGAA_NPZ.is_file():
        pytest.skip(f"PGAA data not found at {PGAA_NPZ} (../shared is absent)")
    return PGAA_NPZ
