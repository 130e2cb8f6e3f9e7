"""Checks shared by the instrument-file readers: path, suffix, existence, size."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["check_file", "read_binary"]


def check_file(
    path: str | os.PathLike[str], suffixes: Iterable[str], what: str
) -> Path:
    """Return ``path`` as a :class:`~pathlib.Path` to an existing file.

    Parameters
    ----------
    path : str or path-like
        The file.
    suffixes : iterable of str
        Accepted lower-case suffixes, with the dot (``".spe"``).
    what : str
        What the file holds, for messages (``"gamma spectrum"``).

    Raises
    ------
    TypeError
        If ``path`` is not a str or path-like.
    ValueError
        If its suffix is not one of ``suffixes``.
    FileNotFoundError
        If there is no such file.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"`path` must be a str or path-like naming a {what} file; "
            f"got {type(path).__name__}."
        )
    file = Path(os.fspath(path))
    accepted = tuple(suffixes)
    suffix = file.suffix.lower()
    if suffix not in accepted:
        raise ValueError(
            f"Cannot read a {what} from {file}: unsupported extension "
            f"{suffix or '(none)'!r}; supported: {', '.join(accepted)}."
        )
    if not file.is_file():
        raise FileNotFoundError(f"No such {what} file: {file}")
    return file


def read_binary(file: Path, minimum: int, what: str) -> bytes:
    """The bytes of ``file``; a ValueError when it is shorter than ``minimum``."""
    data = file.read_bytes()
    if len(data) < minimum:
        raise ValueError(
            f"{file} is not a valid {what} file: it holds {len(data)} bytes, "
            f"fewer than the {minimum} its layout needs (truncated?)."
        )
    return data
