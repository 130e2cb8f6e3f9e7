"""A model folder saved under one Keras backend loads under the others with the
same predictions.

Each backend is fixed when Keras is imported, so every step runs in a fresh
interpreter with ``KERAS_BACKEND`` set: train and save a classifier and a
regressor (with its per-point ``Normalization`` and derivative channel) on
each installed backend, then load every folder on every backend and compare
the predictions with those of the training backend.

Tolerance: float32 networks on the CPU; the backends' kernels sum in
different orders, so probabilities and values agree to ``rtol=1e-4``,
``atol=1e-5`` (the measured differences are around 1e-6), and the predicted
labels are equal.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow

BACKENDS = ("tensorflow", "jax", "torch")
RTOL, ATOL = 1e-4, 1e-5

SCRIPT = """
import sys
import numpy as np
from specauth.datasets import make_spectra
from specauth.hub import load_pretrained, save_pretrained

step, folder = sys.argv[1], sys.argv[2]
data = make_spectra(3, 10, length=96, random_state=0)
X = data.X.astype(np.float32)
target = X[:, 20:40].sum(axis=1)
if step == "train":
    from specauth.estimators import CNNClassifier, CNNRegressor

    options = dict(epochs=2, batch_size=8, random_state=0)
    models = {
        "classifier": CNNClassifier("cnn1d_small", **options).fit(X, data.y),
        "regressor": CNNRegressor("cnn1d_small", **options).fit(X, target),
    }
    for name, model in models.items():
        save_pretrained(model, f"{folder}/{name}")
names = ("classifier", "regressor")
models = {name: load_pretrained(f"{folder}/{name}") for name in names}
out = sys.argv[3]
np.savez(
    out,
    proba=models["classifier"].predict_proba(X),
    labels=models["classifier"].predict(X).astype(str),
    values=models["regressor"].predict(X),
)
"""


def _installed(backend):
    return importlib.util.find_spec(backend) is not None


def _run(backend, step, folder, out):
    env = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, step, str(folder), str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, f"{backend} {step}: {result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def installed():
    found = [b for b in BACKENDS if _installed(b)]
    if len(found) < 2:
        pytest.skip(f"needs two Keras backends installed; found only {found}")
    return found


def test_models_load_on_every_backend_with_the_same_predictions(installed, tmp_path):
    for source in installed:
        folder = tmp_path / source
        reference = tmp_path / f"{source}_on_{source}.npz"
        _run(source, "train", folder, reference)
        expected = np.load(reference)
        for target in installed:
            if target == source:
                continue
            out = tmp_path / f"{source}_on_{target}.npz"
            _run(target, "load", folder, out)
            got = np.load(out)
            where = f"saved on {source}, loaded on {target}"
            np.testing.assert_array_equal(got["labels"], expected["labels"], where)
            for key in ("proba", "values"):
                np.testing.assert_allclose(
                    got[key], expected[key], rtol=RTOL, atol=ATOL, err_msg=where
                )
