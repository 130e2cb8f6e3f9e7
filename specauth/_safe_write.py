"""Write output files and folders so that a user's file is never lost.

Every output goes to a temporary file (or folder) beside its final path and
is renamed into place (:func:`os.replace`) only once it is complete: a
failure, Ctrl-C included, leaves neither a partial output nor a damaged
previous one, and the temporary is removed. Outputs are checked before any
work: :func:`check_not_input` refuses an output that is one of the inputs
(the same path, a relative spelling of it, a symbolic or hard link) or lies
inside an input folder, :func:`check_writable` an output that cannot be
created.

The temporary files are hidden (``.NAME.<random>.tmp``) and created with
the permissions of an ordinary new file (``0o666`` less the umask); a
replaced file keeps its permissions. An output named through a symbolic
link is written to the link's target, so the link stays a link; a replaced
file is a new file, so other hard links to the old one keep the old content.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

__all__ = [
    "atomic_folder",
    "atomic_output",
    "check_not_input",
    "check_writable",
    "new_folders",
]

_TRIES = 100
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL


def _real(path: str | os.PathLike[str]) -> Path:
    """The absolute path with every symbolic link resolved (it may not exist)."""
    return Path(os.path.realpath(os.fspath(path)))


def _same(a: Path, b: Path) -> bool:
    """Whether two resolved paths name the same file (hard links included)."""
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist
        return False


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies under the existing folder ``folder``."""
    if not folder.is_dir():
        return False
    return any(_same(parent, folder) for parent in path.parents)


def check_not_input(
    output: str | os.PathLike[str],
    inputs: Mapping[str, str | os.PathLike[str] | None],
    *,
    option: str = "--out",
    folder: bool = False,
) -> None:
    """Raise a ValueError if writing ``output`` could damage one of ``inputs``.

    ``output`` is refused when it is the same file as an input (compared as
    resolved paths and, when both exist, by device and inode with
    :func:`os.path.samefile`, so relative paths, symbolic links and hard
    links are caught) or when it lies inside an input folder. With
    ``folder=True`` (an output folder that is replaced as a whole) it is
    also refused when an input lies inside it.

    Parameters
    ----------
    output : str or path-like
        The output file or folder.
    inputs : dict of str to path
        Inputs by the name the user knows them by (``"--x"``,
        ``"MODEL_DIR"``); None values are skipped.
    option : str, default="--out"
        Name of the output option, for the message.
    folder : bool, default=False
        Whether ``output`` is a folder replaced as a whole.

    Raises
    ------
    ValueError
        One line naming the option, the output, the input and its path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> spectra = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = spectra.write_text("1,2,3\\n")
    >>> check_not_input(spectra.with_name("p.csv"), {"--x": spectra})
    >>> check_not_input(spectra, {"--x": spectra})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: --out .../s.csv is the same file as --x .../s.csv; ...
    """
    out = _real(output)
    for name, given in inputs.items():
        if given is None:
            continue
        path = _real(given)
        if _same(out, path):
            relation = f"is the same {'folder' if path.is_dir() else 'file'} as"
        elif _inside(out, path):
            relation = "is inside"
        elif folder and _inside(path, out):
            relation = "holds"
        else:
            continue
        raise ValueError(
            f"{option} {os.fspath(output)} {relation} {name} {os.fspath(given)}; "
            f"choose another {option} so that the input stays intact."
        )


def _probe(folder: Path) -> None:
    """Create and remove a file in ``folder``; OSError if that is not possible."""
    for _ in range(_TRIES):
        name = folder / f".specauth-probe-{secrets.token_hex(4)}"
        try:
            os.close(os.open(name, _NEW, 0o600))
        except FileExistsError:
            continue
        os.unlink(name)
        return


def check_writable(
    path: str | os.PathLike[str], *, option: str = "--out", folder: bool = False
) -> None:
    """Raise a ValueError unless ``path`` can be written as a file or folder.

    Checked before any work: ``path`` must not be an existing folder (for a
    file) or an existing file (for a folder), and the nearest existing
    folder above it must accept new files (tested by creating and removing
    one, which also catches read-only file systems). Missing folders above
    ``path`` are fine: they are created when the output is written.

    Parameters
    ----------
    path : str or path-like
        The output.
    option : str, default="--out"
        Name of the output option, for the message.
    folder : bool, default=False
        Whether the output is a folder.

    Raises
    ------
    ValueError
        One line naming the option, the path and the reason.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> where = pathlib.Path(tempfile.mkdtemp())
    >>> check_writable(where / "new" / "p.csv")
    >>> check_writable(where)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: --out ... is a folder; name a file to write.
    """
    shown = f"{option} {os.fspath(path)}"
    real = _real(path)
    if real.is_dir() and not folder:
        raise ValueError(f"{shown} is a folder; name a file to write.")
    if real.exists() and not real.is_dir() and folder:
        raise ValueError(f"{shown} is a file, not a folder; name a folder to write.")
    parent = real.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(
            f"{shown} cannot be created: {parent} is a file, not a folder."
        )
    try:
        _probe(parent)
    except OSError as err:
        raise ValueError(
            f"{shown} cannot be written: the folder {parent} is not writable "
            f"({err.strerror or err})."
        ) from err


def _hidden_name(final: Path, kind: str) -> Path:
    """A fresh hidden name beside ``final`` that keeps its suffix."""
    token = secrets.token_hex(4)
    return final.with_name(f".{final.stem}.{token}.{kind}{final.suffix}")


def _create(final: Path, make: Callable[[Path], object]) -> Path:
    """Make a fresh hidden temporary beside ``final`` with ``make(name)``."""
    for _ in range(_TRIES):
        temporary = _hidden_name(final, "tmp")
        try:
            make(temporary)
        except FileExistsError:
            continue
        return temporary
    raise FileExistsError(f"Cannot create a temporary file beside {final}.")


def _remove(path: Path) -> None:
    """Remove a temporary file or folder; ignore one already gone."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary file beside ``path``; rename it to ``path`` on success.

    The temporary file exists (empty) and has ``path``'s suffix, so writers
    that pick a format from the extension (matplotlib's ``savefig``) work.
    When the block succeeds it is flushed to disk and renamed over ``path``
    in one step; when it raises (any exception, ``KeyboardInterrupt``
    included) it is removed and ``path`` is left as it was. The folder of
    ``path`` must exist. A ``path`` that is a symbolic link is resolved:
    the file it points to is replaced and the link stays.

    Parameters
    ----------
    path : str or path-like
        The final output file.

    Yields
    ------
    temporary : pathlib.Path
        The file to write.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "p.csv"
    >>> with atomic_output(out) as tmp:
    ...     _ = tmp.write_text("index,label\\n")
    ...     out.exists()
    False
    >>> out.read_text()
    'index,label\\n'
    """
    final = _real(path)
    if final.is_dir():
        raise IsADirectoryError(f"{os.fspath(path)} is a folder, not a file.")
    temporary = _create(final, lambda name: os.close(os.open(name, _NEW, 0o666)))
    try:
        yield temporary
        _fsync(temporary)
        if final.exists():
            shutil.copymode(final, temporary)
        os.replace(temporary, final)
    except BaseException:
        _remove(temporary)
        raise


@contextlib.contextmanager
def new_folders(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Create folder ``path`` and its missing parents; remove them on failure.

    When the block raises, the folders this call created are removed again
    if they are empty (innermost first); existing folders are never touched.

    Parameters
    ----------
    path : str or path-like
        The folder.

    Yields
    ------
    folder : pathlib.Path
        ``path`` (which now exists).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> with new_folders(root / "a" / "b") as folder:
    ...     folder.is_dir()
    True
    >>> try:
    ...     with new_folders(root / "c" / "d"):
    ...         raise ValueError("failed")
    ... except ValueError:
    ...     pass
    >>> sorted(p.name for p in root.iterdir())
    ['a']
    """
    folder = Path(path)
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    try:
        yield folder
    except BaseException:
        for created in missing:  # innermost first
            with contextlib.suppress(OSError):
                created.rmdir()
        raise


def _swap_in(temporary: Path, final: Path) -> None:
    """Put the folder ``temporary`` at ``final`` (replacing a folder there)."""
    if not final.exists():
        os.rename(temporary, final)
        return
    previous = _hidden_name(final, "old")
    os.rename(final, previous)
    try:
        os.rename(temporary, final)
    except BaseException:
        os.rename(previous, final)
        raise
    shutil.rmtree(previous, ignore_errors=True)


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary copy of folder ``path``; put it in place on success.

    The temporary folder, beside ``path``, starts as a copy of the folder at
    ``path`` (symbolic links copied as links), or empty when there is none,
    so the block updates it exactly as it would update ``path`` in place:
    files it does not touch are kept. When the block succeeds the temporary
    folder is renamed to ``path`` and the previous folder removed; when it
    raises (``KeyboardInterrupt`` included) the temporary folder is removed
    and ``path`` is left as it was. Missing parents of ``path`` are created,
    and removed again on failure. A ``path`` that is a symbolic link is
    resolved: the folder it points to is replaced and the link stays.

    The copy is taken when the block starts: enter it once the content is
    ready to write (after training, not before), so that the folder is not
    left to change meanwhile.

    Parameters
    ----------
    path : str or path-like
        The final output folder.

    Yields
    ------
    temporary : pathlib.Path
        The folder to write.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "model"
    >>> out.mkdir()
    >>> _ = (out / "notes.txt").write_text("mine")
    >>> _ = (out / "config.json").write_text("{}")
    >>> with atomic_folder(out) as tmp:
    ...     _ = (tmp / "config.json").write_text('{"new": 1}')
    ...     (out / "config.json").read_text()
    '{}'
    >>> sorted(p.name for p in out.iterdir()), (out / "config.json").read_text()
    (['config.json', 'notes.txt'], '{"new": 1}')
    """
    final = _real(path)
    if final.exists() and not final.is_dir():
        raise NotADirectoryError(f"{os.fspath(path)} is a file, not a folder.")
    with new_folders(final.parent):
        temporary = _create(final, os.mkdir)
        try:
            if final.is_dir():
                shutil.copytree(final, temporary, symlinks=True, dirs_exist_ok=True)
            yield temporary
            _swap_in(temporary, final)
        except BaseException:
            _remove(temporary)
            raise
