"""predict_to_hdf5: predictions written batch by batch, resumable."""

from __future__ import annotations

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

from sklearn.linear_model import LogisticRegression  # noqa: E402

from specauth.datasets.hdf5_predictions import predict_to_hdf5  # noqa: E402

RNG = np.random.default_rng(3)
X = RNG.random((70, 12))
Y = np.array(["alpha", "beta", "gamma"] * 23 + ["alpha"])


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = tmp_path_factory.mktemp("pred") / "spectra.h5"
    with h5py.File(path, "w") as f:
        f["spectra"] = X
    return path


@pytest.fixture(scope="module")
def model():
    return LogisticRegression().fit(X, Y)


class _Interrupted(LogisticRegression):
    """A copy of the model that stops (like Ctrl-C) at its third batch."""

    calls = 0

    def predict(self, X):
        type(self).calls += 1
        if type(self).calls == 3:
            raise KeyboardInterrupt
        return super().predict(X)


class _Counting(LogisticRegression):
    """Counts the rows it predicts."""

    rows = 0

    def predict(self, X):
        self.rows += len(X)
        return super().predict(X)


def _read(path):
    with h5py.File(path) as f:
        group = f["predictions"]
        return {k: group[k][()] for k in group}, dict(group.attrs)


def test_predictions_equal_the_model_on_the_array(source, model, tmp_path):
    out = predict_to_hdf5(
        model, source, tmp_path / "p.h5", dataset="spectra", batch_size=16
    )
    data, attrs = _read(out)
    np.testing.assert_array_equal(data["label"].astype(str), model.predict(X))
    np.testing.assert_allclose(data["proba"], model.predict_proba(X), rtol=1e-6)
    assert attrs["rows_done"] == 70 and list(attrs["classes"]) == [
        "alpha",
        "beta",
        "gamma",
    ]


def test_resumed_run_gives_the_same_file(source, model, tmp_path):
    whole = predict_to_hdf5(
        model, source, tmp_path / "whole.h5", dataset="spectra", batch_size=16
    )
    broken = _Interrupted().fit(X, Y)
    with pytest.raises(KeyboardInterrupt):
        predict_to_hdf5(
            broken, source, tmp_path / "resumed.h5", dataset="spectra", batch_size=16
        )
    partial, attrs = _read(tmp_path / "resumed.h5")
    assert attrs["rows_done"] == 32  # two batches of 16 written before the stop
    predict_to_hdf5(
        model, source, tmp_path / "resumed.h5", dataset="spectra", batch_size=16
    )
    (a, attrs_a), (b, attrs_b) = _read(whole), _read(tmp_path / "resumed.h5")
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert {k: str(v) for k, v in attrs_a.items()} == {
        k: str(v) for k, v in attrs_b.items()
    }


def test_refuses_to_write_into_the_input_or_mix_runs(source, model, tmp_path):
    with pytest.raises(ValueError, match="is the input file"):
        predict_to_hdf5(model, source, source, dataset="spectra")
    out = predict_to_hdf5(model, source, tmp_path / "p.h5", dataset="spectra")
    other = LogisticRegression(C=0.1).fit(X, np.where(Y == "gamma", "beta", Y))
    with pytest.raises(ValueError, match="another run"):
        predict_to_hdf5(other, source, out, dataset="spectra")
