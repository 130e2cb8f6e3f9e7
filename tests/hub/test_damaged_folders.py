"""load_pretrained on damaged or hostile folders: one ValueError naming the file.

Each case starts from a tiny saved model, damages one file with numpy, zipfile
or json, and (where the check under test is not the manifest) records the new
sha256 in the manifest, so that the specific check is the one that answers.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from specauth import ood
from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.hub import load_pretrained, save_pretrained


@pytest.fixture(scope="module")
def data():
    d = make_spectra(n_classes=3, n_samples_per_class=6, length=64, random_state=4)
    return d.X, d.y


@pytest.fixture(scope="module")
def saved_clf(data, tmp_path_factory):
    X, y = data
    clf = CNNClassifier("cnn1d_small", epochs=1, random_state=0).fit(X, y)
    return save_pretrained(clf, tmp_path_factory.mktemp("clf") / "m"), clf


@pytest.fixture()
def folder(saved_clf, tmp_path):
    return shutil.copytree(saved_clf[0], tmp_path / "m")


def _config(folder):
    return json.loads((folder / "config.json").read_text())


def _write_config(folder, config):
    (folder / "config.json").write_text(json.dumps(config))


def _rehash(folder):
    """Record the current sha256 and size of each part in the manifest."""
    config = _config(folder)
    for name, entry in config.get("files", {}).items():
        content = (folder / name).read_bytes()
        entry.update(sha256=hashlib.sha256(content).hexdigest(), size=len(content))
    _write_config(folder, config)


def _rewrite_zip(path, edit):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    edit(members)
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def _npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def _array_key(folder, attribute):
    return _config(folder)["root"]["state"][attribute]["__array__"]


def _refused(folder, match):
    with pytest.raises(ValueError, match=match):
        load_pretrained(folder)


# ---------------------------------------------------------------- arrays.npz
def test_truncated_arrays_file_is_a_value_error(folder):
    content = (folder / "arrays.npz").read_bytes()
    (folder / "arrays.npz").write_bytes(content[: len(content) // 2])
    _rehash(folder)
    _refused(folder, r"arrays\.npz.*not a readable \.npz")


def test_empty_arrays_file_is_a_value_error(folder):
    (folder / "arrays.npz").write_bytes(b"")
    _rehash(folder)
    _refused(folder, r"arrays\.npz.*not a readable \.npz")


def test_empty_npy_member_is_a_value_error(folder):
    key = _array_key(folder, "classes_")
    _rewrite_zip(folder / "arrays.npz", lambda m: m.update({f"{key}.npy": b""}))
    _rehash(folder)
    _refused(folder, rf"arrays\.npz.*{key}\.npy.*header")


def test_declared_shape_larger_than_the_file_is_refused_before_allocating(folder):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    )
    member = header.getvalue() + bytes(16)
    key = _array_key(folder, "classes_")
    _rewrite_zip(folder / "arrays.npz", lambda m: m.update({f"{key}.npy": member}))
    _rehash(folder)
    _refused(folder, rf"{key}\.npy.*declares shape \(1000000000000,\).*holds 16")


def test_object_arrays_are_refused(folder):
    key = _array_key(folder, "classes_")
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array([1, None], dtype=object))
    _rewrite_zip(
        folder / "arrays.npz", lambda m: m.update({f"{key}.npy": buffer.getvalue()})
    )
    _rehash(folder)
    _refused(folder, rf"{key}\.npy.*pickle")


# --------------------------------------------------------------- config.json
def test_deeply_nested_config_is_a_value_error(folder):
    deep = "[" * 100_000 + "]" * 100_000
    (folder / "config.json").write_text(f'{{"format_version": 2, "x": {deep}}}')
    _refused(folder, r"config\.json.*nested deeper than 100")


def test_moderately_nested_config_is_refused_before_the_reader_recurses(folder):
    config = _config(folder)
    config["metrics"] = json.loads("[" * 500 + "]" * 500)
    _write_config(folder, config)
    _refused(folder, r"config\.json.*nested deeper than 100")


def test_config_that_is_not_utf8_is_a_value_error(folder):
    (folder / "config.json").write_bytes(b'{"format_version": 2, "x": "\xff\xfe"}')
    _refused(folder, r"config\.json is not UTF-8 text")


# ------------------------------------------------------------- network.keras
def _set_dense_units(folder, units):
    def edit(members):
        config = json.loads(members["config.json"])
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "Dense":
                layer["config"]["units"] = units
        members["config.json"] = json.dumps(config).encode()

    _rewrite_zip(folder / "network.keras", edit)
    _rehash(folder)


def test_huge_dense_layer_is_refused_before_allocating(folder):
    _set_dense_units(folder, 10**12)
    _refused(folder, r"network\.keras.*'units'.*1000000000000.*at most")


def test_dense_layer_larger_than_its_weights_file_is_refused(folder):
    _set_dense_units(folder, 100_000)  # below the cap on one number
    _refused(folder, r"network\.keras.*implies at least 3200000 weights.*holds only")


def test_network_file_that_is_not_a_zip_is_a_value_error(folder):
    (folder / "network.keras").write_bytes(b"not a zip")
    _rehash(folder)
    _refused(folder, r"network\.keras.*not a readable \.keras")


def test_deeply_nested_network_config_is_a_value_error(folder):
    deep = b"[" * 100_000 + b"]" * 100_000
    _rewrite_zip(folder / "network.keras", lambda m: m.update({"config.json": deep}))
    _rehash(folder)
    _refused(folder, r"network\.keras.*config\.json.*nested deeper than 100")


# ---------------------------------------------------------------- manifest
def test_a_changed_part_is_refused_by_its_sha256(folder):
    key = _array_key(folder, "classes_")
    _rewrite_zip(folder / "arrays.npz", lambda m: m.update({f"{key}.npy": _npy([1])}))
    _refused(folder, r"arrays\.npz does not match the sha256 recorded in .*config")
    (folder / "network.keras").write_bytes(b"")
    _rehash(folder)
    (folder / "network.keras").write_bytes(b"x")
    _refused(folder, r"network\.keras does not match the sha256")


def test_format_2_without_a_manifest_is_refused(folder):
    config = _config(folder)
    del config["files"]
    _write_config(folder, config)
    _refused(folder, r"config\.json has format version 2 but no 'files' manifest")


def test_network_missing_from_the_manifest_is_refused(folder):
    config = _config(folder)
    del config["files"]["network.keras"]
    _write_config(folder, config)
    _refused(folder, r"network\.keras is not listed in the 'files' manifest")


def test_folder_from_before_the_manifest_still_loads(folder, saved_clf, data):
    X, _ = data
    config = _config(folder)
    config["format_version"] = 1
    del config["files"]
    _write_config(folder, config)
    loaded = load_pretrained(folder)
    np.testing.assert_array_equal(loaded.predict(X), saved_clf[1].predict(X))


# ------------------------------------------------- parts against each other
def test_reversed_classes_do_not_silently_relabel(folder, saved_clf):
    classes = saved_clf[1].classes_
    key = _array_key(folder, "classes_")
    members = {f"{key}.npy": _npy(classes[::-1])}
    _rewrite_zip(folder / "arrays.npz", lambda m: m.update(members))
    _refused(folder, r"arrays\.npz does not match the sha256")  # the manifest
    _rehash(folder)
    _refused(folder, r"`classes_` of CNNClassifier .* sorted and unique")


def test_classes_must_match_the_network_outputs(folder, saved_clf):
    key = _array_key(folder, "classes_")
    members = {f"{key}.npy": _npy(saved_clf[1].classes_[:2])}
    _rewrite_zip(folder / "arrays.npz", lambda m: m.update(members))
    _rehash(folder)
    _refused(folder, r"`classes_` of CNNClassifier holds 2 labels but its network")


@pytest.mark.parametrize("value", [float("inf"), float("nan"), "0.5"])
def test_threshold_must_be_a_finite_number(value, data, tmp_path):
    X, _ = data
    folder = save_pretrained(ood.MaxLogit().fit(X[:, :3]), tmp_path / "d")
    config = _config(folder)
    config["root"]["state"]["threshold_"] = value
    _write_config(folder, config)
    _refused(folder, r"`threshold_` of MaxLogit .*config\.json.* finite number")


def test_per_feature_arrays_must_match_n_features_in(data, tmp_path):
    X, _ = data
    folder = save_pretrained(StandardScaler().fit(X), tmp_path / "s")
    config = _config(folder)
    config["root"]["state"]["n_features_in_"] = 5
    _write_config(folder, config)
    _refused(folder, r"`mean_` of StandardScaler has 64 columns; `n_features_in_` .*5")


def test_non_finite_reference_is_refused(data, tmp_path):
    X, _ = data
    folder = save_pretrained(StandardScaler().fit(X), tmp_path / "s")
    key = _array_key(folder, "mean_")
    bad = X.mean(axis=0)
    bad[3] = np.nan
    _rewrite_zip(folder / "arrays.npz", lambda m: m.update({f"{key}.npy": _npy(bad)}))
    _rehash(folder)
    _refused(folder, r"`mean_` of StandardScaler .* NaN or infinite")


# -------------------------------------------------------------- command line
def test_command_line_reports_a_damaged_folder_in_one_line(folder, data, capsys):
    from specauth.cli.main import main

    X, _ = data
    np.save(folder.parent / "X.npy", X)
    (folder / "arrays.npz").write_bytes(b"")
    _rehash(folder)
    assert main(["predict", str(folder), "--x", str(folder.parent / "X.npy")]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "arrays.npz" in err
