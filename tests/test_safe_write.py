"""specauth._safe_write: outputs renamed into place, inputs never overwritten."""

from __future__ import annotations

import os
import stat

import pytest

from specauth._safe_write import (
    atomic_folder,
    atomic_output,
    check_not_input,
    check_writable,
    new_folders,
)


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def _default_mode():
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# ------------------------------------------------------------ atomic_output
def test_output_appears_only_when_the_block_succeeds(tmp_path):
    out = tmp_path / "p.csv"
    with atomic_output(out) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".p.")
        assert tmp.suffix == ".csv" and tmp.is_file()
        tmp.write_text("done\n")
        assert not out.exists()
    assert out.read_text() == "done\n"
    assert _names(tmp_path) == ["p.csv"]
    assert stat.S_IMODE(out.stat().st_mode) == _default_mode()


@pytest.mark.parametrize("error", [ValueError("bad value"), KeyboardInterrupt()])
def test_failure_mid_write_keeps_the_previous_file(tmp_path, error):
    out = tmp_path / "p.csv"
    out.write_text("previous\n")
    with pytest.raises(type(error)), atomic_output(out) as tmp:
        with tmp.open("w") as handle:
            handle.write("half a ")
            raise error
    assert out.read_text() == "previous\n"
    assert _names(tmp_path) == ["p.csv"]


def test_failure_leaves_no_file_when_there_was_none(tmp_path):
    with pytest.raises(OSError), atomic_output(tmp_path / "p.csv") as tmp:
        tmp.write_text("partial")
        raise OSError(28, "No space left on device")
    assert _names(tmp_path) == []


def test_replacing_keeps_the_previous_permissions(tmp_path):
    out = tmp_path / "private.csv"
    out.write_text("old")
    out.chmod(0o600)
    with atomic_output(out) as tmp:
        tmp.write_text("new")
    assert out.read_text() == "new"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_output_through_a_symlink_replaces_the_target(tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    with atomic_output(link) as tmp:
        tmp.write_text("new")
    assert link.is_symlink() and target.read_text() == "new"


def test_output_onto_a_folder_fails_before_the_block(tmp_path):
    with pytest.raises(IsADirectoryError), atomic_output(tmp_path):
        pytest.fail("the block must not run")


# ------------------------------------------------------------ atomic_folder
def test_new_folder_appears_only_when_the_block_succeeds(tmp_path):
    out = tmp_path / "a" / "model"
    with atomic_folder(out) as tmp:
        assert tmp.is_dir() and _names(tmp) == []
        (tmp / "config.json").write_text("{}")
        assert not out.exists()
    assert _names(out) == ["config.json"]
    assert _names(tmp_path / "a") == ["model"]


def test_failed_new_folder_leaves_nothing(tmp_path):
    with pytest.raises(KeyboardInterrupt), atomic_folder(tmp_path / "a" / "m") as tmp:
        (tmp / "config.json").write_text("{half")
        raise KeyboardInterrupt
    assert _names(tmp_path) == []


def test_folder_update_starts_from_a_copy_and_keeps_other_files(tmp_path):
    out = tmp_path / "model"
    (out / "sub").mkdir(parents=True)
    (out / "config.json").write_text("old")
    (out / "notes.txt").write_text("mine")
    (out / "sub" / "extra.txt").write_text("mine too")
    (out / "link").symlink_to(out / "notes.txt")
    with atomic_folder(out) as tmp:
        assert _names(tmp) == ["config.json", "link", "notes.txt", "sub"]
        (tmp / "config.json").write_text("new")
        (tmp / "sub" / "part.bin").write_bytes(b"\x00")
        assert (out / "config.json").read_text() == "old"
    assert _names(out) == ["config.json", "link", "notes.txt", "sub"]
    assert (out / "config.json").read_text() == "new"
    assert (out / "notes.txt").read_text() == "mine"
    assert _names(out / "sub") == ["extra.txt", "part.bin"]
    assert os.readlink(out / "link") == str(out / "notes.txt")
    assert _names(tmp_path) == ["model"]


def test_failed_folder_update_keeps_the_previous_folder(tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "config.json").write_text("old")
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ValueError), atomic_folder(out) as tmp:
        (tmp / "config.json").write_text("new")
        (tmp / "notes.txt").unlink()
        raise ValueError("failed")
    assert _names(out) == ["config.json", "notes.txt"]
    assert (out / "config.json").read_text() == "old"
    assert _names(tmp_path) == ["model"]


def test_folder_onto_a_file_fails_before_the_block(tmp_path):
    (tmp_path / "m").write_text("a file")
    with pytest.raises(NotADirectoryError), atomic_folder(tmp_path / "m"):
        pytest.fail("the block must not run")


def test_new_folders_removes_only_what_it_created(tmp_path):
    (tmp_path / "kept").mkdir()
    with pytest.raises(ValueError), new_folders(tmp_path / "kept" / "a" / "b"):
        raise ValueError("failed")
    assert _names(tmp_path) == ["kept"] and _names(tmp_path / "kept") == []
    # A folder that received a file is not removed.
    with pytest.raises(ValueError), new_folders(tmp_path / "c") as folder:
        (folder / "f").write_text("x")
        raise ValueError("failed")
    assert _names(tmp_path) == ["c", "kept"]


# ---------------------------------------------------------- check_not_input
@pytest.fixture
def spectra(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("1,2\n")
    return path


def test_distinct_paths_pass(spectra):
    check_not_input(spectra.with_name("p.csv"), {"--x": spectra, "--y": None})


@pytest.mark.parametrize("how", ["same", "relative", "symlink", "hard link"])
def test_the_same_file_is_refused(spectra, tmp_path, monkeypatch, how):
    monkeypatch.chdir(tmp_path)
    if how == "same":
        out = spectra
    elif how == "relative":
        (tmp_path / "sub").mkdir()
        out = "sub/../s.csv"
    elif how == "symlink":
        out = tmp_path / "link.csv"
        out.symlink_to(spectra)
    else:
        out = tmp_path / "hard.csv"
        os.link(spectra, out)
    with pytest.raises(ValueError) as info:
        check_not_input(out, {"--x": "s.csv"}, option="--out")
    assert str(info.value) == (
        f"--out {out} is the same file as --x s.csv; choose another --out so "
        "that the input stays intact."
    )


def test_outputs_inside_an_input_folder_are_refused(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    with pytest.raises(ValueError, match="is inside MODEL_DIR"):
        check_not_input(model / "new" / "p.csv", {"MODEL_DIR": model})
    with pytest.raises(ValueError, match="is the same folder as MODEL_DIR"):
        check_not_input(model, {"MODEL_DIR": model})


def test_output_folders_that_hold_an_input_are_refused(spectra, tmp_path):
    check_not_input(tmp_path, {"--x": spectra})  # files are added beside it
    with pytest.raises(ValueError, match=r"--out .* holds --x .*s\.csv"):
        check_not_input(tmp_path, {"--x": spectra}, folder=True)


# ----------------------------------------------------------- check_writable
def test_writable_paths_pass(tmp_path):
    check_writable(tmp_path / "p.csv")
    check_writable(tmp_path / "a" / "b" / "model", folder=True)
    check_writable(tmp_path, folder=True)
    assert _names(tmp_path) == []  # the probe file is gone


def test_unwritable_paths_are_refused(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="is a folder; name a file"):
        check_writable(tmp_path)
    with pytest.raises(ValueError, match="is a file, not a folder"):
        check_writable(tmp_path / "f", folder=True, option="--model-out")
    with pytest.raises(ValueError, match=r"cannot be created: .*f is a file"):
        check_writable(tmp_path / "f" / "g" / "p.csv")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root may write into a read-only folder",
)
def test_read_only_folder_is_refused(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(ValueError, match="is not writable"):
            check_writable(tmp_path / "p.csv")
    finally:
        tmp_path.chmod(0o700)
