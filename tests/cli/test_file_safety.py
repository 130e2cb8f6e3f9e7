"""The command line never loses a user's file.

An output that is an input is refused before anything is read or written;
every output goes to a temporary file (or folder) beside it and is renamed
into place only when the command succeeds, so a failure (an error, Ctrl-C)
leaves neither a partial output nor a damaged previous one; a damaged input
file is one line on stderr and exit code 1.
"""

from __future__ import annotations

import csv
import os
import shutil

import numpy as np
import pytest
from sklearn.pipeline import Pipeline, make_pipeline

from specauth.cli.main import main
from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.hub import load_pretrained, save_pretrained
from specauth.preprocessing import SpectrumNormalizer

LENGTH = 48
QUICK = ["--model", "cnn1d_small", "--epochs", "1", "--lr", "0.01", "--quiet"]


@pytest.fixture(scope="module")
def data():
    return make_spectra(
        n_classes=3, n_samples_per_class=8, length=LENGTH, random_state=5
    )


@pytest.fixture(scope="module")
def saved(data, tmp_path_factory):
    """A tiny closed-set model folder (never written to by the tests)."""
    pipe = make_pipeline(
        SpectrumNormalizer(), CNNClassifier("cnn1d_small", epochs=1, random_state=0)
    ).fit(data.X, data.y)
    return save_pretrained(pipe, tmp_path_factory.mktemp("safety") / "model")


@pytest.fixture
def model_copy(saved, tmp_path):
    """A copy of the model folder that a test may see damaged."""
    return shutil.copytree(saved, tmp_path / "model_copy")


@pytest.fixture
def inputs(data, tmp_path):
    """Spectra (.npy and .csv) and labels files in a fresh folder."""
    folder = tmp_path / "in"
    folder.mkdir()
    np.save(folder / "s.npy", data.X)
    np.savetxt(folder / "s.csv", data.X, delimiter=",", fmt="%.7g")
    (folder / "y.csv").write_text("\n".join(data.y) + "\n")
    return folder


def _snapshot(folder):
    """Every file under ``folder`` (relative path -> bytes); links as targets."""
    files = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            files[key] = ("link", os.readlink(path))
        elif path.is_file():
            files[key] = path.read_bytes()
        else:
            files[key] = "dir"
    return files


def _one_line_error(capsys):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    return err


def _run(args, code):
    assert main([str(a) for a in args]) == code


# ------------------------------------------------------------ predict: out == x
def _same_file(how, folder, name):
    """``(x, out)`` naming the same file of ``folder`` in one of four ways."""
    path = folder / name
    if how == "same path":
        return str(path), str(path)
    if how == "relative path":  # the test runs in ``folder``
        return name, f"./sub/../{name}"
    if how == "symlink":
        os.symlink(path, folder / f"link_{name}")
        return str(path), str(folder / f"link_{name}")
    os.link(path, folder / f"hard_{name}")
    return str(path), str(folder / f"hard_{name}")


@pytest.mark.parametrize("how", ["same path", "relative path", "symlink", "hard link"])
@pytest.mark.parametrize("name", ["s.npy", "s.csv"])
def test_predict_refuses_out_that_is_the_x_file(
    saved, inputs, capsys, monkeypatch, how, name
):
    (inputs / "sub").mkdir()
    monkeypatch.chdir(inputs)
    x, out = _same_file(how, inputs, name)
    before = _snapshot(inputs)
    _run(["predict", saved, "--x", x, "--out", out], 1)
    err = _one_line_error(capsys)
    assert err.startswith("specauth predict: error: --out ")
    assert f"--out {out}" in err and f"--x {x}" in err and "same file" in err
    assert _snapshot(inputs) == before  # input untouched, nothing added


def test_predict_in_small_batches_onto_its_npy_input_keeps_it(saved, inputs, capsys):
    # Today's bug: the CSV truncates the .npy, and the second batch fails.
    x = inputs / "s.npy"
    before = x.read_bytes()
    _run(["predict", saved, "--x", x, "--out", x, "--batch-size", "5"], 1)
    assert "same file" in _one_line_error(capsys)
    assert x.read_bytes() == before
    assert sorted(p.name for p in inputs.iterdir()) == ["s.csv", "s.npy", "y.csv"]


def test_predict_refuses_out_inside_the_model_folder(model_copy, inputs, capsys):
    before = _snapshot(model_copy)
    out = model_copy / "config.json"
    _run(["predict", model_copy, "--x", inputs / "s.npy", "--out", out], 1)
    err = _one_line_error(capsys)
    assert f"--out {out}" in err and f"MODEL_DIR {model_copy}" in err
    assert _snapshot(model_copy) == before


def test_predict_refuses_a_folder_as_out_before_predicting(
    saved, inputs, capsys, monkeypatch
):
    import specauth.cli._model as model_module

    monkeypatch.setattr(model_module, "load_classifier", _never_called)
    _run(["predict", saved, "--x", inputs / "s.npy", "--out", inputs], 1)
    err = _one_line_error(capsys)
    assert f"--out {inputs}" in err and "folder" in err


def _never_called(*args, **kwargs):
    pytest.fail("the command went on after a bad --out")


# ------------------------------------------------- predict: failures mid-write
def test_failed_predict_leaves_no_partial_csv(saved, data, tmp_path, capsys):
    x = tmp_path / "bad.csv"
    lines = [",".join(f"{v:.7g}" for v in row) for row in data.X]
    lines[17] = lines[17].replace(",", ",oops,", 1)  # a damaged 18th line
    x.write_text("\n".join(lines) + "\n")
    out = tmp_path / "p.csv"
    _run(["predict", saved, "--x", x, "--out", out, "--batch-size", "5"], 1)
    err = _one_line_error(capsys)
    assert str(x) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def _failing_on_second_chunk(error, monkeypatch):
    import specauth.cli._model as model_module

    real = model_module.predict_outputs
    calls = []

    def predict_outputs(model, X):
        calls.append(len(X))
        if len(calls) == 2:
            raise error
        return real(model, X)

    monkeypatch.setattr(model_module, "predict_outputs", predict_outputs)
    return calls


@pytest.mark.parametrize(
    ("error", "code"),
    [(ValueError("the network failed"), 1), (KeyboardInterrupt(), 130)],
)
def test_failed_predict_keeps_the_previous_output(
    saved, inputs, tmp_path, capsys, monkeypatch, error, code
):
    out = tmp_path / "p.csv"
    out.write_text("previous predictions\n")
    calls = _failing_on_second_chunk(error, monkeypatch)
    _run(
        ["predict", saved, "--x", inputs / "s.npy", "--out", out, "--batch-size", 5],
        code,
    )
    assert len(calls) == 2  # the first chunk was written (to the temporary file)
    assert out.read_text() == "previous predictions\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "p.csv"]
    capsys.readouterr()


def test_predict_replaces_an_existing_output_on_success(
    saved, data, inputs, tmp_path, capsys
):
    out = tmp_path / "p.csv"
    out.write_text("previous predictions\n")
    _run(
        ["predict", saved, "--x", inputs / "s.npy", "--out", out, "--batch-size", 5], 0
    )
    rows = list(csv.reader(out.open()))
    assert rows[0][:2] == ["index", "label"]
    expected = load_pretrained(saved).predict(data.X)
    assert [r[1] for r in rows[1:]] == [str(v) for v in expected]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "p.csv"]
    assert "wrote 24 predictions" in capsys.readouterr().err


def test_predict_through_a_symlink_writes_the_linked_file(saved, inputs, tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    os.symlink(target, link)
    _run(["predict", saved, "--x", inputs / "s.npy", "--out", link], 0)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("index,label,")


# -------------------------------------------------------------------- train
def _no_training(monkeypatch):
    monkeypatch.setattr(Pipeline, "fit", _never_called)


def _bad_train_out(case, inputs, tmp_path):
    """``(out, message, folder to check)`` for a --out train must refuse."""
    if case == "the --x file":
        return inputs / "s.npy", "same file as --x", inputs
    if case == "the --y file":
        return inputs / "y.csv", "same file as --y", inputs
    if case == "a folder holding the --x file":
        return inputs, "holds --x", inputs
    if case == "a folder that is not a model":
        (tmp_path / "notes").mkdir()
        (tmp_path / "notes" / "todo.txt").write_text("keep me")
        return tmp_path / "notes", "not a specauth model folder", tmp_path / "notes"
    if case == "an existing file":
        (tmp_path / "model.txt").write_text("keep me")
        return tmp_path / "model.txt", "not a folder", tmp_path
    # "under a file": its parent cannot be created
    (tmp_path / "plain").write_text("keep me")
    return tmp_path / "plain" / "model", "cannot be created", tmp_path


@pytest.mark.parametrize(
    "case",
    [
        "the --x file",
        "the --y file",
        "a folder holding the --x file",
        "a folder that is not a model",
        "an existing file",
        "under a file",
    ],
)
def test_train_refuses_a_bad_out_before_training(
    inputs, tmp_path, capsys, monkeypatch, case
):
    _no_training(monkeypatch)
    out, message, folder = _bad_train_out(case, inputs, tmp_path)
    before = _snapshot(folder)
    x, y = inputs / "s.npy", inputs / "y.csv"
    _run(["train", "--x", x, "--y", y, "--out", out, *QUICK], 1)
    err = _one_line_error(capsys)
    assert err.startswith(f"specauth train: error: --out {out}"), err
    assert message in err
    assert _snapshot(folder) == before


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root may write into a read-only folder",
)
def test_train_refuses_a_read_only_parent_before_training(
    inputs, tmp_path, capsys, monkeypatch
):
    _no_training(monkeypatch)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        x, y = inputs / "s.npy", inputs / "y.csv"
        _run(["train", "--x", x, "--y", y, "--out", locked / "m", *QUICK], 1)
    finally:
        locked.chmod(0o700)
    assert "not writable" in _one_line_error(capsys)
    assert list(locked.iterdir()) == []


def _failing_save(monkeypatch):
    """``save_pretrained`` writes a part, then the disk is full."""
    import specauth.hub

    def save_pretrained(estimator, directory, **kwargs):
        (directory / "config.json").write_text("{half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(specauth.hub, "save_pretrained", save_pretrained)
    monkeypatch.setattr(Pipeline, "fit", lambda self, X, y: self)


def test_failed_train_keeps_the_previous_model(
    model_copy, inputs, tmp_path, capsys, monkeypatch
):
    (model_copy / "notes.txt").write_text("the user's notes")
    before = _snapshot(model_copy)
    _failing_save(monkeypatch)
    x, y = inputs / "s.npy", inputs / "y.csv"
    _run(["train", "--x", x, "--y", y, "--out", model_copy, *QUICK], 1)
    assert "No space left on device" in _one_line_error(capsys)
    assert _snapshot(model_copy) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "model_copy"]


def test_failed_train_creates_no_folder(inputs, tmp_path, capsys, monkeypatch):
    _failing_save(monkeypatch)
    x, y = inputs / "s.npy", inputs / "y.csv"
    _run(["train", "--x", x, "--y", y, "--out", tmp_path / "a" / "b" / "m", *QUICK], 1)
    _one_line_error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


@pytest.mark.slow  # >= 10 s on 2 cores
def test_train_over_a_model_replaces_it_and_keeps_other_files(
    model_copy, data, inputs, tmp_path, capsys
):
    (model_copy / "notes.txt").write_text("the user's notes")
    old_config = (model_copy / "config.json").read_text()
    x, y = inputs / "s.npy", inputs / "y.csv"
    _run(["train", "--x", x, "--y", y, "--out", model_copy, *QUICK, "--seed", 7], 0)
    assert f"saved to {model_copy}" in capsys.readouterr().out
    assert (model_copy / "notes.txt").read_text() == "the user's notes"
    assert (model_copy / "config.json").read_text() != old_config
    model = load_pretrained(model_copy)
    assert model.predict(data.X).shape == (len(data.X),)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "model_copy"]


# ---------------------------------------------------- explain, report, pull
@pytest.mark.parametrize("which", ["--x", "--background", "MODEL_DIR", "inside"])
def test_explain_refuses_out_that_is_an_input(model_copy, inputs, capsys, which):
    x = inputs / "s.npy"
    args = ["explain", model_copy, "--x", x]
    if which == "--background":
        args += ["--method", "shap", "--background", inputs / "s.csv"]
    out = {
        "--x": x,
        "--background": inputs / "s.csv",
        "MODEL_DIR": model_copy,
        "inside": model_copy / "pictures",
    }[which]
    before = _snapshot(model_copy), _snapshot(inputs)
    _run([*args, "--out", out], 1)
    err = _one_line_error(capsys)
    assert f"--out {out}" in err
    assert (which if which != "inside" else "MODEL_DIR") in err
    assert (_snapshot(model_copy), _snapshot(inputs)) == before


def test_failed_explain_writes_no_file(saved, inputs, tmp_path, capsys, monkeypatch):
    import specauth.cli.explain as explain_module

    real = explain_module._write_png
    written = []

    def write_png(path, *args):
        if written:
            raise ValueError("cannot draw this one")
        real(path, *args)
        written.append(path)

    monkeypatch.setattr(explain_module, "_write_png", write_png)
    out = tmp_path / "new" / "explanations"
    args = ["explain", saved, "--x", inputs / "s.npy", "--index", 0, 1, "--out", out]
    _run(args, 1)
    assert "cannot draw this one" in _one_line_error(capsys)
    assert len(written) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_explain_into_an_existing_folder_adds_its_files(saved, inputs, tmp_path):
    out = tmp_path / "ex"
    out.mkdir()
    (out / "sample_0.png").write_bytes(b"old picture")
    (out / "mine.txt").write_text("keep")
    _run(["explain", saved, "--x", inputs / "s.npy", "--first", 2, "--out", out], 0)
    assert sorted(p.name for p in out.iterdir()) == [
        "mine.txt",
        "sample_0.png",
        "sample_1.png",
    ]
    assert (out / "sample_0.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("which", ["--x", "--y", "--x-unknown", "MODEL_DIR"])
def test_report_refuses_out_that_is_an_input(model_copy, inputs, capsys, which):
    np.save(inputs / "u.npy", np.ones((2, LENGTH)))
    out = {
        "--x": inputs / "s.npy",
        "--y": inputs / "y.csv",
        "--x-unknown": inputs / "u.npy",
        "MODEL_DIR": model_copy / "README.md",  # the model card
    }[which]
    before = _snapshot(model_copy), _snapshot(inputs)
    args = ["report", model_copy, "--x", inputs / "s.npy", "--y", inputs / "y.csv"]
    _run([*args, "--x-unknown", inputs / "u.npy", "--out", out, "--examples", 0], 1)
    err = _one_line_error(capsys)
    assert f"--out {out}" in err and which in err
    assert (_snapshot(model_copy), _snapshot(inputs)) == before


def test_failed_report_keeps_the_previous_report(
    saved, inputs, tmp_path, capsys, monkeypatch
):
    import specauth.cli._html as html

    out = tmp_path / "r.html"
    out.write_text("previous report")
    real = html.page_html

    def page_html(title, sections):
        (tmp_path / "r.html").read_text()  # the previous report is still there
        raise KeyboardInterrupt

    monkeypatch.setattr(html, "page_html", page_html)
    args = ["report", saved, "--x", inputs / "s.npy", "--y", inputs / "y.csv"]
    _run([*args, "--out", out, "--examples", 0], 130)
    assert out.read_text() == "previous report"
    monkeypatch.setattr(html, "page_html", real)
    _run([*args, "--out", out, "--examples", 0], 0)
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "r.html"]
    capsys.readouterr()


@pytest.mark.parametrize("where", ["same", "inside", "around"])
def test_pull_refuses_out_that_overlaps_the_cache(tmp_path, capsys, monkeypatch, where):
    # A closed port: today's code fails on the network, not on the paths.
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "kept").write_text("cached")
    out = {"same": cache, "inside": cache / "m", "around": tmp_path}[where]
    before = _snapshot(tmp_path)
    _run(["pull", "my-lab/model", "--out", out, "--cache-dir", cache], 1)
    err = _one_line_error(capsys)
    assert f"--out {out}" in err and f"--cache-dir {cache}" in err
    assert _snapshot(tmp_path) == before


def test_pull_refuses_a_folder_that_is_not_a_model(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    (tmp_path / "notes.txt").write_text("keep")
    _run(["pull", "my-lab/model", "--out", tmp_path], 1)
    err = _one_line_error(capsys)
    assert f"--out {tmp_path}" in err and "not a specauth model folder" in err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_pull_into_a_model_folder_keeps_it_until_the_pull_succeeds(
    saved, model_copy, data, tmp_path, capsys, monkeypatch
):
    from tests.hub.hf_server import FakeHub

    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    (model_copy / "notes.txt").write_text("the user's notes")
    before = _snapshot(model_copy)
    with FakeHub(tokens=["hf_t"]) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        _run(["push", saved, "lab/m", "--token", "hf_t"], 0)
        pull = ["pull", "lab/m", "--token", "hf_t", "--cache-dir", tmp_path / "c"]
        _run([*pull, "--revision", "no-such-branch", "--out", model_copy], 1)
        assert "no-such-branch" in _one_line_error(capsys)
        assert _snapshot(model_copy) == before
        (model_copy / "README.md").write_text("an old card")
        _run([*pull, "--out", model_copy], 0)
    assert (model_copy / "notes.txt").read_text() == "the user's notes"
    assert (model_copy / "README.md").read_bytes() == (saved / "README.md").read_bytes()
    np.testing.assert_array_equal(
        load_pretrained(model_copy).predict(data.X),
        load_pretrained(saved).predict(data.X),
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "model_copy"]


# ----------------------------------------------------------- damaged inputs
def _damaged_spectra(kind, folder, data):
    np.save(folder / "good.npy", data.X)
    good = (folder / "good.npy").read_bytes()
    path = folder / {"h5": "bad.h5", "csv": "bad.csv", "npz": "bad.npz"}.get(
        kind, "bad.npy"
    )
    if kind == "truncated npy":
        path.write_bytes(good[: len(good) // 2])
    elif kind == "header only npy":
        path.write_bytes(good[:100])
    elif kind == "object npy":
        np.save(path, np.array([{"a": 1}], dtype=object))
    elif kind == "npz":
        path.write_bytes(b"PK\x03\x04 not really a zip")
    elif kind == "h5":
        path.write_bytes(b"not an HDF5 file")
    else:  # binary garbage named .csv
        path.write_bytes(bytes(range(256)))
    return path


@pytest.mark.parametrize(
    "kind",
    ["truncated npy", "header only npy", "object npy", "npz", "h5", "csv"],
)
def test_damaged_spectra_file_is_one_line_naming_it(
    saved, data, tmp_path, capsys, kind
):
    if kind == "h5":
        pytest.importorskip("h5py")
    path = _damaged_spectra(kind, tmp_path, data)
    _run(["predict", saved, "--x", path, "--out", tmp_path / "p.csv"], 1)
    assert str(path) in _one_line_error(capsys)
    assert not (tmp_path / "p.csv").exists()


def _damage_model(kind, folder):
    if kind == "truncated arrays":
        arrays = folder / "arrays.npz"
        arrays.write_bytes(arrays.read_bytes()[:50])
    elif kind == "empty arrays":
        (folder / "arrays.npz").write_bytes(b"")
    elif kind == "nested config":
        (folder / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    else:  # "binary config"
        (folder / "config.json").write_bytes(bytes(range(128, 256)))


@pytest.mark.parametrize(
    "kind", ["truncated arrays", "empty arrays", "nested config", "binary config"]
)
def test_damaged_model_folder_is_one_line_naming_it(model_copy, inputs, capsys, kind):
    _damage_model(kind, model_copy)
    _run(["predict", model_copy, "--x", inputs / "s.npy"], 1)
    assert str(model_copy) in _one_line_error(capsys)


def test_damaged_labels_file_is_one_line_naming_it(inputs, tmp_path, capsys):
    labels = tmp_path / "y.npy"
    labels.write_bytes(b"\x93NUMPY garbage")
    args = ["train", "--x", inputs / "s.npy", "--y", labels]
    _run([*args, "--out", tmp_path / "m", *QUICK], 1)
    assert str(labels) in _one_line_error(capsys)
    assert not (tmp_path / "m").exists()
