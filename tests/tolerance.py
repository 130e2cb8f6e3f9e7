"""Tolerances for comparing floating-point results of two implementations.

Exact equality is right only where the same code runs twice (same-seed
reproducibility, save/load round trips, batch invariance) or where no rounding
happens at all (copies, selections, counts). A result computed by one kernel
and checked against another (a Keras layer against numpy, a float32 network
against a float64 reference) may differ by a few units in the last place from
one CPU to the next: compare it with :func:`assert_close`, whose tolerance is
stated here once per dtype.
"""

from __future__ import annotations

import numpy as np

#: ``rtol``/``atol`` by the dtype of the result under test. float32 allows a few
#: ulps (eps = 1.2e-7) per accumulated term of short products; float64 the same
#: margin at its own precision (eps = 2.2e-16).
TOLERANCE = {
    np.dtype(np.float16): {"rtol": 1e-3, "atol": 1e-3},
    np.dtype(np.float32): {"rtol": 1e-5, "atol": 1e-6},
    np.dtype(np.float64): {"rtol": 1e-12, "atol": 1e-12},
}


def tolerance(dtype):
    """Return the ``{"rtol", "atol"}`` of ``dtype`` (integers compare as float64)."""
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        dtype = np.dtype(np.float64)
    if dtype not in TOLERANCE:
        raise ValueError(f"no tolerance stated for dtype {dtype}")
    return TOLERANCE[dtype]


def assert_close(actual, desired, *, dtype=None, err_msg=""):
    """``assert_allclose`` with the tolerance of the result's dtype.

    ``dtype`` defaults to the less precise of the two arrays' float dtypes, so a
    float32 layer output checked against a float64 numpy reference gets the
    float32 tolerance.
    """
    actual = np.asarray(actual)
    desired = np.asarray(desired)
    if dtype is None:
        floats = [a.dtype for a in (actual, desired) if a.dtype.kind == "f"]
        dtype = min(floats, key=lambda d: d.itemsize) if floats else np.float64
    np.testing.assert_allclose(actual, desired, err_msg=err_msg, **tolerance(dtype))
