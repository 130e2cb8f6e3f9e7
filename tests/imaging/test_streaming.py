"""Batching, streaming into a reused buffer, dtype and input immutability."""

import numpy as np
import pytest
from sklearn.base import clone

from specauth.imaging import (
    GramianAngularField,
    MarkovTransitionField,
    RecurrencePlot,
    StackedFields,
)
from tests.conftest import python_output

IMAGERS = [
    GramianAngularField(7),
    GramianAngularField(method="difference", n_channels=3),
    MarkovTransitionField(7),
    RecurrencePlot(7, threshold="point"),
    StackedFields(image_size=7),
]
X = np.random.default_rng(0).normal(size=(11, 23))


def _id(est):
    return repr(est).replace("\n", "")


@pytest.mark.parametrize("imager", IMAGERS, ids=_id)
def test_batched_equals_one_shot(imager):
    whole = clone(imager).set_params(batch_size=100).fit_transform(X)
    batched = clone(imager).set_params(batch_size=3).fit_transform(X)
    np.testing.assert_array_equal(whole, batched)
    assert batched.dtype == np.float32
    assert batched.flags.c_contiguous


@pytest.mark.parametrize("imager", IMAGERS, ids=_id)
def test_iter_transform_reuses_one_buffer(imager):
    imager = clone(imager).fit(X)
    expected = imager.transform(X)
    shape = expected.shape
    buffer = np.empty((4,) + shape[1:], dtype=np.float32)
    starts = []
    for start, chunk in imager.iter_transform(X, out=buffer):
        assert np.shares_memory(chunk, buffer)
        np.testing.assert_array_equal(chunk, expected[start : start + len(chunk)])
        starts.append(start)
    assert starts == [0, 4, 8]
    # without `out`, one buffer of batch_size images is allocated and reused
    chunks = list(imager.iter_transform(X, batch_size=5))
    assert [s for s, _ in chunks] == [0, 5, 10]
    assert np.shares_memory(chunks[0][1], chunks[2][1])


def test_iter_transform_rejects_bad_buffers():
    imager = GramianAngularField(7).fit(X)
    with pytest.raises(ValueError, match="`out` must have shape"):
        imager.iter_transform(X, out=np.empty((4, 7, 7, 3), np.float32))
    with pytest.raises(ValueError, match="`out` must have shape"):
        imager.iter_transform(X, out=np.empty((4, 7, 7, 1), np.float64))
    with pytest.raises(ValueError, match="`batch_size` must be <= len"):
        imager.iter_transform(X, batch_size=9, out=np.empty((4, 7, 7, 1), "f4"))
    with pytest.raises(ValueError, match="`batch_size` must be an int"):
        imager.iter_transform(X, batch_size=0)
    with pytest.raises(TypeError, match="`out` must be a numpy array"):
        imager.iter_transform(X, out=[[0.0]])


@pytest.mark.parametrize("imager", IMAGERS, ids=_id)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_input_is_not_modified(imager, dtype):
    Xd = X.astype(dtype)
    before = Xd.copy()
    out = clone(imager).fit_transform(Xd)
    np.testing.assert_array_equal(Xd, before)
    assert out.dtype == np.float32


def test_float64_output_option():
    out = MarkovTransitionField(5, dtype="float64").fit_transform(X)
    assert out.dtype == np.float64


def test_import_does_not_load_tensorflow():
    code = (
        "import sys, specauth.imaging; "
        "print(any(m.split('.')[0] in ('tensorflow', 'keras') for m in sys.modules))"
    )
    assert python_output(code) == "False"
