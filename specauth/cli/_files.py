"""The files a command reads and writes: inputs named, outputs checked first.

Every command checks its output (``--out``) before it reads or computes
anything: it must not be one of the inputs (see
:func:`specauth._safe_write.check_not_input`) and must be writable; a
folder that is replaced as a whole (``train``, ``pull``) must be new, empty
or a specauth model folder. Errors reading an input become one line naming
the option and the file (:func:`reading`).
"""

from __future__ import annotations

import contextlib
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from specauth._safe_write import check_not_input, check_writable

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator

__all__ = [
    "check_output_file",
    "check_output_folder",
    "input_paths",
    "split_input",
    "is_model_folder",
    "reading",
]

#: argparse destinations of the inputs, and the names the user knows them by
INPUT_OPTIONS = (
    ("model", "MODEL_DIR"),
    ("x", "--x"),
    ("y", "--y"),
    ("x_unknown", "--x-unknown"),
    ("background", "--background"),
    ("weights", "--weights"),
    ("cache_dir", "--cache-dir"),
)

# What a damaged or hostile input file raises while it is read: a truncated
# archive (BadZipFile, EOFError), a deeply nested JSON file (RecursionError),
# a header announcing a huge array (MemoryError), bad values (ValueError).
_READ_ERRORS = (
    ValueError,
    OSError,
    EOFError,
    zipfile.BadZipFile,
    RecursionError,
    MemoryError,
)


def input_path(text: str | os.PathLike[str]) -> str:
    """The file of an input option: ``"data.h5:/spectra"`` gives ``"data.h5"``.

    Examples
    --------
    >>> input_path("missing.h5:/group/spectra"), input_path("X.npy")
    ('missing.h5', 'X.npy')
    """
    return split_input(text)[0]


def split_input(text: str | os.PathLike[str]) -> tuple[str, str | None]:
    """``(file, key)`` of an input option: ``"data.h5:/spectra"`` gives both.

    Examples
    --------
    >>> split_input("missing.h5:patterns"), split_input("X.npy")
    (('missing.h5', 'patterns'), ('X.npy', None))
    """
    text = os.fspath(text)
    if ":" in text and not Path(text).exists():
        base, _, key = text.rpartition(":")
        if base and key:
            return base, key
    return text, None


def input_paths(args: argparse.Namespace) -> dict[str, str]:
    """The input files and folders of a parsed command, by option name.

    Examples
    --------
    >>> import argparse
    >>> input_paths(argparse.Namespace(model="m/", x="X.h5:/s", weights="imagenet"))
    {'MODEL_DIR': 'm/', '--x': 'X.h5'}
    """
    paths = {}
    for dest, option in INPUT_OPTIONS:
        value = getattr(args, dest, None)
        if value is None or (dest == "weights" and value == "imagenet"):
            continue
        paths[option] = input_path(value)
    return paths


def is_model_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a folder written by ``save_pretrained`` (has config.json)."""
    return (Path(path) / "config.json").is_file()


def check_output_file(args: argparse.Namespace, option: str = "--out") -> None:
    """Refuse an output file that is an input or cannot be written (ValueError)."""
    out = getattr(args, option.lstrip("-").replace("-", "_"))
    check_not_input(out, input_paths(args), option=option)
    check_writable(out, option=option)


def check_output_folder(
    args: argparse.Namespace, *, replaced: bool, option: str = "--out"
) -> None:
    """Refuse an output folder that is an input or cannot be written.

    With ``replaced=True`` (the folder's content is replaced: ``train``,
    ``pull``) the folder must also be new, empty or a specauth model folder,
    so that a folder of other files is never mixed with a model.

    Examples
    --------
    >>> import argparse, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "notes.txt").write_text("mine")
    >>> check_output_folder(argparse.Namespace(out=folder), replaced=True)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: --out ... is not a specauth model folder ...
    """
    out = getattr(args, option.lstrip("-").replace("-", "_"))
    check_not_input(out, input_paths(args), option=option, folder=replaced)
    check_writable(out, option=option, folder=True)
    folder = Path(out)
    if replaced and folder.is_dir() and not is_model_folder(folder):
        if any(folder.iterdir()):
            raise ValueError(
                f"{option} {out} is not a specauth model folder (it holds other "
                "files and no config.json); name a new or empty folder, or a "
                "model folder to replace."
            )


@contextlib.contextmanager
def reading(option: str, path: str | os.PathLike[str] | None) -> Iterator[None]:
    """Turn an error reading an input into one line naming the option and file.

    A ValueError or OSError whose message already names the file or the
    option passes unchanged; any other error of a damaged file (one that
    names neither, a BadZipFile, EOFError, RecursionError or MemoryError)
    becomes a ValueError ``"cannot read OPTION PATH: ..."``. With
    ``path=None`` (an optional input not given) errors pass unchanged.

    Examples
    --------
    >>> with reading("--x", "X.npy"):
    ...     raise EOFError("No data left in file")
    Traceback (most recent call last):
    ...
    ValueError: cannot read --x X.npy: EOFError: No data left in file
    """
    if path is None:
        yield
        return
    try:
        yield
    except _READ_ERRORS as err:
        text = str(err).strip()
        message = text.splitlines()[0] if text else ""
        named = any(
            name in message for name in (os.fspath(path), input_path(path), option)
        )
        if named and isinstance(err, (ValueError, OSError)):
            raise
        if not isinstance(err, (ValueError, OSError)) or not message:
            message = f"{type(err).__name__}: {message}".rstrip(": ")
        raise ValueError(f"cannot read {option} {os.fspath(path)}: {message}") from err
