"""Search and inference on a LocalCluster of 2 worker processes (slow lane).

One cluster serves the whole module (starting workers that import
TensorFlow takes seconds). Its workers get as many TensorFlow threads as
this process has, so that a fit on a worker computes exactly what the same
fit computes here: the searches must give the same scores as sequential
ones, and the files the same CSVs as ``specauth predict`` in this process.
"""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest

pytest.importorskip("distributed", reason="needs pip install 'specauth[dask]'")

import joblib  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_validate  # noqa: E402

from specauth.cli.main import main  # noqa: E402
from specauth.datasets import make_spectra  # noqa: E402
from specauth.distributed import (  # noqa: E402
    local_client,
    predict_files,
    worker_threads,
)
from specauth.estimators import CNNClassifier, CNNRegressor  # noqa: E402
from specauth.ood import Energy  # noqa: E402
from specauth.openset import OpenSetClassifier  # noqa: E402

pytestmark = pytest.mark.slow

THREADS = int(os.environ.get("TF_NUM_INTRAOP_THREADS", "1"))


@pytest.fixture(scope="module")
def client():
    with local_client(n_workers=2, threads=THREADS) as client:
        yield client


@pytest.fixture(scope="module")
def data():
    return make_spectra(n_classes=3, n_samples_per_class=12, length=64, random_state=0)


def _small():
    return CNNClassifier("cnn1d_small", epochs=2, random_state=0)


def _on_dask(function, *args, **kwargs):
    with joblib.parallel_config(backend="dask"):
        return function(*args, **kwargs)


def test_workers_run_with_the_thread_settings(client):
    settings = worker_threads(client)
    assert len(settings) == 2
    for values in settings.values():
        assert values["TF_NUM_INTRAOP_THREADS"] == str(THREADS)
        assert values["TF_NUM_INTEROP_THREADS"] == str(THREADS)

    def tensorflow_threads():  # what the worker's TensorFlow reads at start
        import tensorflow as tf

        tf.constant(1.0) + 1.0  # the runtime starts with the first op
        return os.environ["TF_NUM_INTRAOP_THREADS"], tf.__version__

    for value, _ in client.run(tensorflow_threads).values():
        assert value == str(THREADS)


def test_workers_run_without_the_statistical_profiler(client):
    # its call trees of TensorFlow's stacks grew a fitting worker ~5 MiB a fit
    def profiler_on():
        import dask

        return dask.config.get("distributed.worker.profile.enabled")

    assert set(client.run(profiler_on).values()) == {False}


def test_grid_search_on_dask_equals_the_sequential_search(client, data):
    grid = {"learning_rate": [1e-3, 1e-2]}
    on_dask = _on_dask(GridSearchCV(_small(), grid, cv=2).fit, data.X, data.y)
    here = GridSearchCV(_small(), grid, cv=2).fit(data.X, data.y)
    assert on_dask.best_params_ == here.best_params_
    for key in ("split0_test_score", "split1_test_score", "mean_test_score"):
        np.testing.assert_array_equal(on_dask.cv_results_[key], here.cv_results_[key])
    pids = client.run(os.getpid)
    assert os.getpid() not in pids.values()


def test_open_set_cross_validation_on_dask(client, data):
    osc = OpenSetClassifier(_small(), Energy(alpha=0.1))
    on_dask = _on_dask(cross_validate, osc, data.X, data.y, cv=2)
    here = cross_validate(osc, data.X, data.y, cv=2)
    np.testing.assert_array_equal(on_dask["test_score"], here["test_score"])


def test_regressor_cross_validation_on_dask(client, data):
    target = np.log1p(data.X[:, 10:20].sum(axis=1))
    reg = CNNRegressor("cnn1d_small", epochs=2, random_state=0)
    on_dask = _on_dask(cross_validate, reg, data.X, target, cv=2)
    here = cross_validate(reg, data.X, target, cv=2)
    np.testing.assert_allclose(on_dask["test_score"], here["test_score"], rtol=1e-6)


@pytest.fixture(scope="module")
def model_and_files(tmp_path_factory, data):
    import h5py

    from specauth.hub import save_pretrained

    folder = tmp_path_factory.mktemp("files")
    osc = OpenSetClassifier(_small(), Energy(alpha=0.1)).fit(data.X, data.y)
    model = save_pretrained(osc, folder / "model")
    rng = np.random.default_rng(1)
    inputs = []
    for i in range(4):
        rows = data.X[rng.integers(0, len(data.X), 7 + i)]
        np.save(folder / f"run{i}.npy", rows)
        inputs.append(str(folder / f"run{i}.npy"))
    with h5py.File(folder / "batch.h5", "w") as handle:
        handle["spectra"] = data.X[:9]
    inputs.append(f"{folder / 'batch.h5'}:spectra")
    return model, inputs


def _rows(path):
    with open(path, newline="") as handle:
        header, *body = list(csv.reader(handle))
    numbers = np.array([[float(v) for v in row[2:]] for row in body])
    return header, [row[1] for row in body], numbers


def test_files_on_dask_equal_the_single_process_predictions(
    client, model_and_files, tmp_path
):
    from specauth.distributed import inference

    model, inputs = model_and_files
    done = predict_files(model, inputs, tmp_path / "dask", client=client)
    assert [d["n_spectra"] for d in done] == [7, 8, 9, 10, 9]
    assert {d["pid"] for d in done} <= set(client.run(os.getpid).values())
    for x, summary in zip(inputs, done, strict=True):
        single = tmp_path / "single.csv"
        assert main(["predict", str(model), "--x", x, "--out", str(single)]) == 0
        header, labels, numbers = _rows(summary["output"])
        header_1, labels_1, numbers_1 = _rows(single)
        assert header == header_1 and header[:3] == ["index", "label", "ood_score"]
        assert labels == labels_1
        np.testing.assert_array_equal(numbers, numbers_1)
    loads = client.run(lambda: inference._LOADS["count"])
    assert sum(loads.values()) <= 2  # once per worker, not once per file


def test_a_failing_file_is_reported_and_finished_outputs_stay(
    client, model_and_files, tmp_path
):
    model, inputs = model_and_files
    bad = tmp_path / "short.npy"
    np.save(bad, np.ones((3, 10)))  # 10 points; the model reads 64
    with pytest.raises(ValueError, match="64"):
        predict_files(model, [inputs[0], str(bad)], tmp_path / "o", client=client)
    assert not (tmp_path / "o" / "short.csv").exists()


def test_cli_scheduler_address(client, model_and_files, tmp_path, capsys):
    model, inputs = model_and_files
    address = client.scheduler.address
    args = ["predict", str(model), "--x", *inputs, "--out-dir", str(tmp_path)]
    assert main([*args, "--scheduler", address]) == 0
    assert f"wrote 43 predictions of 5 files to {tmp_path} on {address}" in (
        capsys.readouterr().err
    )
    assert len(list(tmp_path.glob("*.csv"))) == 5
    assert main([*args, "--scheduler", address]) == 1  # outputs exist
    assert "exists" in capsys.readouterr().err


def test_cli_scheduler_local(model_and_files, tmp_path, capsys):
    model, inputs = model_and_files
    args = ["predict", str(model), "--x", inputs[0], "--out-dir", str(tmp_path)]
    assert main([*args, "--scheduler", "local", "--workers", "1"]) == 0
    assert "on local" in capsys.readouterr().err
    assert (tmp_path / "run0.csv").is_file()
