"""HDF5Dataset: block reads, chunk-aware shuffling, labels, bad files."""

from __future__ import annotations

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

from specauth.datasets.hdf5 import HDF5Dataset  # noqa: E402

N, H, W = 103, 6, 5


@pytest.fixture(scope="module")
def h5(tmp_path_factory):
    path = tmp_path_factory.mktemp("h5") / "patterns.h5"
    rng = np.random.default_rng(0)
    patterns = rng.random((N, H, W)).astype(np.float32)
    labels = np.array([f"class{i % 3}" for i in range(N)])
    with h5py.File(path, "w") as f:
        f.create_dataset("patterns", data=patterns, chunks=(8, H, W))
        f["labels"] = labels.astype("S")
        f["spectra"] = rng.random((N, 40))
    return path, patterns, labels


def test_batches_cover_every_row_once_in_file_order(h5):
    path, patterns, labels = h5
    data = HDF5Dataset(path, labels="labels", batch_size=10)
    xs, ys = zip(*(data[i] for i in range(len(data))), strict=True)
    np.testing.assert_array_equal(np.concatenate(xs)[..., 0], patterns)
    np.testing.assert_array_equal(np.concatenate(ys), labels)
    assert data.sample_shape == (H, W, 1)


def test_reads_are_blocks_never_the_whole_dataset(h5):
    path, patterns, _ = h5
    row_bytes = H * W * 4
    data = HDF5Dataset(path, batch_size=4, block_bytes=16 * row_bytes)
    assert data.block_rows == 16  # two chunks of 8 rows
    for i in range(len(data)):
        data[i]
    spans = [stop - start for start, stop in data.reads]
    assert max(spans) <= 16 and sum(spans) == N  # each row read once, in blocks
    assert len(data.reads) == int(np.ceil(N / 16))


def test_shuffle_permutes_blocks_and_rows_within_blocks(h5):
    path, patterns, labels = h5
    data = HDF5Dataset(
        path,
        labels="labels",
        batch_size=4,
        shuffle=True,
        random_state=1,
        block_bytes=16 * H * W * 4,
    )
    order = data.row_order()
    assert sorted(order.tolist()) == list(range(N)) and not np.array_equal(
        order, np.arange(N)
    )
    # rows of one batch come from one block of 16 consecutive rows
    for i in range(len(data)):
        _, positions = data._layout[i]
        block_rows = data.rows_[data._layout[i][0] * 16 + positions]
        assert block_rows.max() - block_rows.min() < 16
    x, y = data[0]
    rows = data.rows_[data._layout[0][0] * 16 + data._layout[0][1]]
    np.testing.assert_array_equal(x[..., 0], patterns[rows])
    np.testing.assert_array_equal(y, labels[rows])
    first = order.copy()
    data.on_epoch_end()
    assert not np.array_equal(first, data.row_order())  # a new order each epoch
    again = HDF5Dataset(
        path, batch_size=4, shuffle=True, random_state=1, block_bytes=16 * H * W * 4
    )
    np.testing.assert_array_equal(again.row_order(), first)  # deterministic for a seed


def test_indices_and_label_arrays(h5):
    path, patterns, labels = h5
    rows = np.array([90, 3, 4, 50])
    data = HDF5Dataset(path, labels=labels, indices=rows, batch_size=8)
    x, y = data[0]
    np.testing.assert_array_equal(x[..., 0], patterns[np.sort(rows)])
    np.testing.assert_array_equal(y, labels[np.sort(rows)])
    assert (
        max(stop - start for start, stop in data.reads) <= 4
    )  # sparse rows read alone
    mask = np.zeros(N, bool)
    mask[10:20] = True
    assert HDF5Dataset(path, indices=mask).n_samples == 10


def test_spectra_get_a_channel_axis(h5):
    path, *_ = h5
    data = HDF5Dataset(path, "spectra", batch_size=50)
    assert data[0][0].shape == (50, 40, 1) and data[0][0].dtype == np.float32


def test_keras_predicts_from_it(h5):
    import keras

    path, patterns, _ = h5
    model = keras.Sequential(
        [keras.Input((H, W, 1)), keras.layers.Flatten(), keras.layers.Dense(2)]
    )
    data = HDF5Dataset(path, batch_size=16)
    out = model.predict(data, verbose=0)
    np.testing.assert_allclose(
        out, model.predict(patterns[..., None], verbose=0), rtol=1e-5, atol=1e-6
    )


def test_bad_input_messages(h5, tmp_path):
    path, *_ = h5
    with pytest.raises(
        ValueError, match=r"no dataset 'nope'.*'/labels', '/patterns', '/spectra'"
    ):
        HDF5Dataset(path, "nope")
    with pytest.raises(ValueError, match="one label per row"):
        HDF5Dataset(path, labels=np.arange(5))
    with pytest.raises(ValueError, match="must lie in 0..102"):
        HDF5Dataset(path, indices=[0, 200])
    with pytest.raises(FileNotFoundError):
        HDF5Dataset(tmp_path / "missing.h5")
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(ValueError, match="truncated"):
        HDF5Dataset(truncated)
    with h5py.File(tmp_path / "nan.h5", "w") as f:
        f["patterns"] = np.full((3, 2, 2), np.nan, np.float32)
    with pytest.raises(ValueError, match="NaN"):
        HDF5Dataset(tmp_path / "nan.h5")[0]


def test_classifier_predicts_a_stream_as_the_array(h5, tmp_path):
    """CNNClassifier.predict_proba / transform take an HDF5Dataset batch by
    batch and give what the whole array gives; a pattern size the network was
    not trained on is refused with both shapes."""
    from specauth.estimators import CNNClassifier

    path, patterns, labels = h5
    spectra = patterns.reshape(N, H * W)
    with h5py.File(tmp_path / "flat.h5", "w") as f:
        f["spectra"] = spectra
    clf = CNNClassifier("cnn1d_small", epochs=1, random_state=0).fit(spectra, labels)
    data = HDF5Dataset(tmp_path / "flat.h5", "spectra", batch_size=16)
    np.testing.assert_allclose(
        clf.predict_proba(data), clf.predict_proba(spectra), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        clf.transform(data), clf.transform(spectra), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_array_equal(clf.predict(data), clf.predict(spectra))
    with pytest.raises(
        ValueError, match=r"shape \(6, 5, 1\).*fitted on samples of shape \(30, 1\)"
    ):
        clf.predict(HDF5Dataset(path, batch_size=16))


def test_classifier_trains_on_a_stream_without_loading_it(tmp_path):
    """fit(HDF5Dataset): the file is read in blocks (never whole), labels come
    from a label dataset, a validation split holds rows out, and the model
    predicts the stream as the array."""
    from specauth.datasets import make_spectra
    from specauth.estimators import CNNClassifier

    data = make_spectra(n_classes=3, n_samples_per_class=40, length=64, random_state=0)
    path = tmp_path / "train.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("spectra", data=data.X, chunks=(8, 64))
        f["labels"] = data.y.astype("S")
    row_bytes = 64 * 4
    stream = HDF5Dataset(
        path,
        "spectra",
        labels="labels",
        batch_size=8,
        shuffle=True,
        random_state=0,
        block_bytes=16 * row_bytes,
    )
    clf = CNNClassifier(
        "cnn1d_small", epochs=8, random_state=0, validation_fraction=0.25
    )
    clf.fit(stream)
    assert sorted(clf.classes_.tolist()) == sorted(set(data.y))
    assert clf.input_shape_ == (64, 1) and clf.epochs_ == 8
    assert "val_loss" in clf.history_ and len(clf.history_["loss"]) >= 8
    # blocks of 16 used rows: a read spans at most twice that (rows held out
    # for validation lie between them), never the 120 rows of the file
    assert max(stop - start for start, stop in stream.reads) <= 32
    accuracy = np.mean(clf.predict(data.X) == data.y)
    assert accuracy > 0.6, accuracy  # it learned from the stream
    plain = HDF5Dataset(path, "spectra", batch_size=32)
    np.testing.assert_array_equal(clf.predict(plain), clf.predict(data.X))
    with pytest.raises(ValueError, match="has no labels"):
        CNNClassifier("cnn1d_small", epochs=1).fit(plain)
