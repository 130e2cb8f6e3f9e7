"""specauth.cli._files: the inputs of a command, its output checks, read errors."""

from __future__ import annotations

import argparse
import zipfile

import pytest

from specauth.cli._files import (
    check_output_file,
    check_output_folder,
    input_path,
    input_paths,
    is_model_folder,
    reading,
)


def test_input_path_drops_a_dataset_key_unless_the_file_has_a_colon(tmp_path):
    assert input_path("data.h5:/group/spectra") == "data.h5"
    assert input_path("data.npz:X") == "data.npz"
    odd = tmp_path / "a:b.npy"
    odd.write_bytes(b"")
    assert input_path(odd) == str(odd)
    assert input_path("X.npy") == "X.npy"


def test_input_paths_names_every_given_input():
    args = argparse.Namespace(
        model="m",
        x="X.h5:/s",
        y="y.csv",
        x_unknown=None,
        background="bg.npy",
        weights="imagenet",  # downloaded by Keras: not a file
        cache_dir="cache",
        out="o",
    )
    assert input_paths(args) == {
        "MODEL_DIR": "m",
        "--x": "X.h5",
        "--y": "y.csv",
        "--background": "bg.npy",
        "--cache-dir": "cache",
    }
    args.weights = "base.weights.h5"
    assert input_paths(args)["--weights"] == "base.weights.h5"


def test_output_file_checks(tmp_path):
    x = tmp_path / "X.h5"
    x.write_bytes(b"")
    check_output_file(argparse.Namespace(x=f"{x}:/spectra", out=tmp_path / "p.csv"))
    with pytest.raises(ValueError, match=r"is the same file as --x .*X\.h5;"):
        check_output_file(argparse.Namespace(x=f"{x}:/spectra", out=x))


def test_output_folder_checks(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    check_output_folder(argparse.Namespace(out=model), replaced=True)  # empty
    (model / "config.json").write_text("{}")
    assert is_model_folder(model)
    check_output_folder(argparse.Namespace(out=model), replaced=True)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "data.npy").write_bytes(b"")
    check_output_folder(argparse.Namespace(out=tmp_path / "other"), replaced=False)
    with pytest.raises(ValueError, match="is not a specauth model folder"):
        check_output_folder(argparse.Namespace(out=tmp_path / "other"), replaced=True)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (EOFError("No data left in file"), "EOFError: No data left in file"),
        (zipfile.BadZipFile("File is not a zip file"), "BadZipFile: File is not"),
        (RecursionError("maximum recursion depth"), "RecursionError: maximum"),
        (MemoryError(), "MemoryError"),
        (ValueError("Unable to open file (signature)"), "Unable to open file"),
        (OSError(5, "Input/output error"), "[Errno 5] Input/output error"),
    ],
)
def test_read_errors_become_one_line_naming_the_file(error, message):
    with pytest.raises(ValueError) as info, reading("--x", "data.h5:/s"):
        raise error
    text = str(info.value)
    assert text.startswith("cannot read --x data.h5:/s: ") and message in text
    assert info.value.__cause__ is error


def test_errors_that_name_the_file_or_option_pass_unchanged():
    error = FileNotFoundError("No such spectra file: X.npy")
    with pytest.raises(FileNotFoundError) as info, reading("--x", "X.npy"):
        raise error
    assert info.value is error
    error = ValueError("--background spectra have 5 points but --x spectra have 9")
    with pytest.raises(ValueError) as info, reading("--background", "b.npy"):
        raise error
    assert info.value is error
    with pytest.raises(EOFError), reading("--background", None):
        raise EOFError
    with pytest.raises(TypeError), reading("--x", "X.npy"):
        raise TypeError("a bug, not a damaged file")
