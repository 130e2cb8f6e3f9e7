"""Tests of specauth.datasets.pgaa: loading, lookup, download, crop and split."""

from __future__ import annotations

import contextlib
import functools
import http.server
import socket
import threading
from collections import Counter

import numpy as np
import pytest

from specauth.datasets import (
    PGAA_CNN_BINS,
    PGAA_UNKNOWN_CLASSES,
    load_pgaa,
    pgaa_open_set_split,
)

TINY_X = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.5], [0.0, 1.0, 0.0, 2.0]])
TINY_Y = np.array(["Steel", "Coal and Coke", "Steel"])
TINY_CENTERS = np.array([100.0, 200.0, 300.0, 400.0])


def write_csvs(folder, X=TINY_X, y=TINY_Y, centers=TINY_CENTERS, pandas=False):
    """Write the authors' CSV layout; ``pandas=True`` adds pandas-style headers."""
    folder.mkdir(parents=True, exist_ok=True)
    header = ",".join(str(i) for i in range(X.shape[1])) if pandas else ""
    np.savetxt(
        folder / "X.csv", X, delimiter=",", fmt="%.9g", header=header, comments=""
    )
    lines = (["0"] if pandas else []) + [str(label) for label in y]
    (folder / "y.csv").write_text("\n".join(lines) + "\n")
    np.savetxt(
        folder / "centers.csv",
        centers,
        fmt="%.9g",
        header="0" if pandas else "",
        comments="",
    )
    return folder


@contextlib.contextmanager
def serve(folder):
    """Serve ``folder`` over HTTP on a loopback port; yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - keep the test log clean
        pass


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No user data folder, a private cache, and no real network access."""
    monkeypatch.delenv("SPECAUTH_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with socket.socket() as sock:  # bound but not listening: refuses connections
        sock.bind(("127.0.0.1", 0))
        monkeypatch.setenv(
            "SPECAUTH_PGAA_URL", f"http://127.0.0.1:{sock.getsockname()[1]}/"
        )
        yield tmp_path / "xdg" / "specauth" / "pgaa"


@pytest.fixture(scope="module")
def pgaa(pgaa_npz):
    with np.load(pgaa_npz, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


# -- real data ---------------------------------------------------------------


def test_npz_file_matches_the_stored_arrays(pgaa_npz, pgaa):
    data = load_pgaa(pgaa_npz)
    assert data.data.shape == (325, 4056) and data.data.dtype == np.float32
    np.testing.assert_array_equal(data.data, pgaa["X"])
    np.testing.assert_array_equal(data.target, pgaa["y"])
    np.testing.assert_array_equal(data.energies, pgaa["centers"])
    np.testing.assert_array_equal(data.files, pgaa["files"])
    assert data.target_names.tolist() == sorted(set(pgaa["y"].tolist()))
    assert len(data.target_names) == 13
    assert "10.1007/s10967-023-09024-x" in data.DESCR
    assert data.source == str(pgaa_npz)


def test_folder_path_and_return_X_y(pgaa_npz, pgaa):
    X, y = load_pgaa(pgaa_npz.parent, return_X_y=True)
    np.testing.assert_array_equal(X, pgaa["X"])
    np.testing.assert_array_equal(y, pgaa["y"])


@pytest.mark.parametrize("pandas", [False, True])
def test_csv_layout_round_trips_the_npz(tmp_path, pgaa, pandas):
    rows = np.arange(0, 325, 8)  # a subset keeps the test fast
    write_csvs(
        tmp_path / "csv",
        pgaa["X"][rows],
        pgaa["y"][rows],
        pgaa["centers"],
        pandas=pandas,
    )
    data = load_pgaa(tmp_path / "csv")
    np.testing.assert_array_equal(data.data, pgaa["X"][rows])
    np.testing.assert_array_equal(data.target, pgaa["y"][rows])
    np.testing.assert_array_equal(data.energies, pgaa["centers"])
    assert "files" not in data


def test_crop_to_the_cnn_bins(pgaa_npz, pgaa):
    emax = float(pgaa["centers"][PGAA_CNN_BINS - 1])
    data = load_pgaa(pgaa_npz, crop=(0, emax))
    assert data.data.shape == (325, PGAA_CNN_BINS)
    np.testing.assert_array_equal(data.data, pgaa["X"][:, :PGAA_CNN_BINS])
    assert 7640 < emax < 7660  # "up to about 7650 keV"


def test_open_set_split_counts(pgaa):
    X, y = pgaa["X"], pgaa["y"]
    X_before = X.copy()
    split = pgaa_open_set_split(X, y)
    assert (len(split.y_train), len(split.y_test), len(split.y_unknown)) == (
        243,
        61,
        21,
    )
    assert set(split.y_unknown.tolist()) == set(PGAA_UNKNOWN_CLASSES)
    assert len(split.known_classes) == 10
    assert not set(split.y_train.tolist()) & set(PGAA_UNKNOWN_CLASSES)
    # Stratified: each known class is split about 80/20.
    train, test = Counter(split.y_train.tolist()), Counter(split.y_test.tolist())
    for label in split.known_classes:
        total = train[label] + test[label]
        assert abs(test[label] - 0.2 * total) <= 1
    # The rows are the caller's rows, and the caller's array is untouched.
    sums = np.sort(
        np.r_[split.X_train.sum(1), split.X_test.sum(1), split.X_unknown.sum(1)]
    )
    np.testing.assert_array_equal(sums, np.sort(X.sum(1)))
    np.testing.assert_array_equal(X, X_before)
    again = pgaa_open_set_split(X, y)
    np.testing.assert_array_equal(again.y_train, split.y_train)


# -- lookup ------------------------------------------------------------------


def test_specauth_data_env_finds_the_shared_layout(monkeypatch, pgaa_npz, pgaa):
    monkeypatch.setenv("SPECAUTH_DATA", str(pgaa_npz.parent.parent))
    data = load_pgaa()
    assert data.source == str(pgaa_npz.parent / "pgaa.npz")
    np.testing.assert_array_equal(data.data, pgaa["X"])


def test_specauth_data_env_with_csvs_in_pgaa_folder(tmp_path, monkeypatch):
    write_csvs(tmp_path / "data" / "pgaa")
    monkeypatch.setenv("SPECAUTH_DATA", str(tmp_path / "data"))
    data = load_pgaa()
    np.testing.assert_array_equal(data.data, TINY_X.astype(np.float32))
    assert data.source == str(tmp_path / "data" / "pgaa")


def test_specauth_data_env_with_npz_at_top(tmp_path, monkeypatch):
    np.savez(tmp_path / "pgaa.npz", X=TINY_X, y=TINY_Y, centers=TINY_CENTERS)
    monkeypatch.setenv("SPECAUTH_DATA", str(tmp_path))
    data = load_pgaa(download=False)
    np.testing.assert_array_equal(data.target, TINY_Y)
    assert data.target_names.tolist() == ["Coal and Coke", "Steel"]


def test_cache_folder_is_used(isolated):
    write_csvs(isolated)
    data = load_pgaa(download=False)
    assert data.source == str(isolated)
    np.testing.assert_array_equal(data.energies, TINY_CENTERS.astype(np.float32))


def test_download_through_a_loopback_server(tmp_path, monkeypatch, isolated):
    with serve(write_csvs(tmp_path / "mirror", pandas=True)) as url:
        monkeypatch.setenv("SPECAUTH_PGAA_URL", url)
        data = load_pgaa(timeout=10)
    np.testing.assert_array_equal(data.data, TINY_X.astype(np.float32))
    np.testing.assert_array_equal(data.target, TINY_Y)
    assert sorted(p.name for p in isolated.iterdir()) == [
        "X.csv",
        "centers.csv",
        "y.csv",
    ]
    again = load_pgaa()  # the server is gone: the cache answers
    np.testing.assert_array_equal(again.data, data.data)


def test_offline_download_fails_cleanly(isolated):
    with pytest.raises(ConnectionError) as info:
        load_pgaa(timeout=5)
    message = str(info.value)
    assert "download" in message and "failed" in message
    assert "path=" in message and "SPECAUTH_DATA" in message
    assert str(isolated) in message  # says where it looked
    assert not any(isolated.iterdir())  # no partial files left behind


def test_missing_file_on_server_leaves_no_partial_data(tmp_path, monkeypatch, isolated):
    mirror = write_csvs(tmp_path / "mirror")
    (mirror / "centers.csv").unlink()
    with serve(mirror) as url:
        monkeypatch.setenv("SPECAUTH_PGAA_URL", url)
        with pytest.raises(ConnectionError, match="centers.csv.*404"):
            load_pgaa()
    assert not any(isolated.iterdir())


def test_no_data_and_no_download():
    with pytest.raises(FileNotFoundError, match="download=False"):
        load_pgaa(download=False)


# -- bad input ---------------------------------------------------------------


def test_missing_explicit_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_pgaa(tmp_path / "nowhere")


def test_folder_without_the_files(tmp_path):
    write_csvs(tmp_path)
    (tmp_path / "y.csv").unlink()
    with pytest.raises(FileNotFoundError, match="missing: y.csv"):
        load_pgaa(tmp_path)


def test_npz_missing_a_key(tmp_path):
    np.savez(tmp_path / "pgaa.npz", X=TINY_X, y=TINY_Y)
    with pytest.raises(ValueError, match="pgaa.npz is missing the array 'centers'"):
        load_pgaa(tmp_path / "pgaa.npz")


def test_npz_with_mismatched_labels(tmp_path):
    np.savez(tmp_path / "pgaa.npz", X=TINY_X, y=TINY_Y[:2], centers=TINY_CENTERS)
    with pytest.raises(ValueError, match="'y' must hold one label per spectrum"):
        load_pgaa(tmp_path)


def test_csv_labels_length_mismatch(tmp_path):
    write_csvs(tmp_path, y=np.array(["a", "b", "c", "d", "e"]))
    with pytest.raises(ValueError, match=r"y.csv holds 5 labels but 3 were expected"):
        load_pgaa(tmp_path)


def test_csv_non_numeric_spectrum(tmp_path):
    write_csvs(tmp_path)
    (tmp_path / "X.csv").write_text("1,2,3,4\n5,six,7,8\n1,1,1,1\n")
    with pytest.raises(ValueError, match=r"X.csv, line 2, column 2: 'six'"):
        load_pgaa(tmp_path)


def test_csv_centers_length_mismatch(tmp_path):
    write_csvs(tmp_path, centers=TINY_CENTERS[:3])
    with pytest.raises(ValueError, match="centers.csv holds 3 bin energies but X"):
        load_pgaa(tmp_path)


def test_wrong_file_type(tmp_path):
    write_csvs(tmp_path)
    with pytest.raises(ValueError, match=r"must be a \.npz file or a folder"):
        load_pgaa(tmp_path / "X.csv")


def test_path_of_wrong_type():
    with pytest.raises(TypeError, match="`path` must be None, a str"):
        load_pgaa(42)


@pytest.mark.parametrize(
    ("crop", "error", "match"),
    [
        ((400, 100), ValueError, "emin <= emax"),
        ("100-400", TypeError, "pair of numbers"),
        ((1, 2, 3), TypeError, "pair of numbers"),
        ((500, 600), ValueError, "keeps no energy bin; the data spans 100.0 to 400.0"),
    ],
)
def test_bad_crop(tmp_path, crop, error, match):
    write_csvs(tmp_path)
    with pytest.raises(error, match=match):
        load_pgaa(tmp_path, crop=crop)


def test_crop_bounds_are_inclusive(tmp_path):
    write_csvs(tmp_path)
    data = load_pgaa(tmp_path, crop=(200, 300))
    np.testing.assert_array_equal(data.energies, [200.0, 300.0])
    np.testing.assert_array_equal(data.data, TINY_X[:, 1:3].astype(np.float32))


def test_bad_timeout(tmp_path):
    with pytest.raises(ValueError, match="`timeout` must be a number of seconds > 0"):
        load_pgaa(tmp_path, timeout=0)
    with pytest.raises(TypeError, match="`timeout` must be a number"):
        load_pgaa(tmp_path, timeout="30")


def test_split_rejects_an_absent_unknown_class():
    X, y = np.zeros((6, 2)), np.array(["a", "a", "a", "b", "b", "b"])
    with pytest.raises(ValueError, match=r"\['Zircaloy'.*do not occur"):
        pgaa_open_set_split(X, y)


def test_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same number of samples"):
        pgaa_open_set_split(np.zeros((5, 2)), np.array(["a", "b", "a", "b"]))
