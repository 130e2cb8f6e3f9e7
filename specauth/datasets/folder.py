"""Read a folder of spectrum files labelled by sub-folder (``folder/ClassA/*.spe``)."""

from __future__ import annotations

import os
import warnings
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import Interval, check_choice, check_scalar
from ..axis import SpectralAxis, as_spectral_axis, resample_spectra
from .files import SPECTRA_SUFFIXES, read_spectra_axis
from .instrument import INSTRUMENT_SUFFIXES

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["FOLDER_SUFFIXES", "common_axis", "read_folder"]

FOLDER_SUFFIXES = tuple(dict.fromkeys((*INSTRUMENT_SUFFIXES, *SPECTRA_SUFFIXES)))


def _visible(path: Path, root: Path) -> bool:
    return not any(part.startswith(".") for part in path.relative_to(root).parts)


def _class_files(root: Path, pattern: str) -> tuple[dict[str, list[Path]], list[Path]]:
    """Files per sub-folder (sorted), and the files skipped for their suffix."""
    classes = sorted(p for p in root.iterdir() if p.is_dir() and _visible(p, root))
    if not classes:
        raise ValueError(
            f"{root} holds no sub-folders; put the files of each class in a "
            "sub-folder named for the class (folder/ClassA/*.spe, ...)."
        )
    found: dict[str, list[Path]] = {}
    skipped: list[Path] = []
    for sub in classes:
        files = sorted(
            p for p in sub.rglob(pattern) if p.is_file() and _visible(p, root)
        )
        skipped += [p for p in files if p.suffix.lower() not in FOLDER_SUFFIXES]
        found[sub.name] = [p for p in files if p.suffix.lower() in FOLDER_SUFFIXES]
        if not found[sub.name]:
            raise ValueError(
                f"The sub-folder {sub} holds no spectrum file matching "
                f"{pattern!r} (readable suffixes: {', '.join(FOLDER_SUFFIXES)})."
            )
    return found, skipped


def _read(file: Path) -> tuple[np.ndarray, SpectralAxis]:
    X, axis = read_spectra_axis(file)
    return X, axis if axis is not None else SpectralAxis.channels(X.shape[1])


def _check_units(axes: list[SpectralAxis], files: list[Path]) -> None:
    first = (axes[0].quantity, axes[0].unit)
    for axis, file in zip(axes, files, strict=True):
        if (axis.quantity, axis.unit) != first:
            raise ValueError(
                f"The files are on different kinds of axis: {files[0]} is on "
                f"{axes[0].label} but {file} is on {axis.label}; read them "
                "separately (or convert one set first)."
            )


def common_axis(
    axes: list[SpectralAxis], files: list[Path] | None = None
) -> SpectralAxis:
    """The overlap of all axes, sampled at the coarsest of their median steps.

    No resolution is made up: the step is the largest median step of the
    axes, and no point lies outside any axis. The direction is the first
    axis's. Identical axes give the first one unchanged.

    Examples
    --------
    >>> a = SpectralAxis([0.0, 1.0, 2.0, 3.0, 4.0], "energy", "keV")
    >>> b = SpectralAxis([0.5, 2.5, 4.5], "energy", "keV")
    >>> common_axis([a, b]).values
    array([0.5, 2.5])
    """
    names = (
        [str(f) for f in files] if files else [f"axis {i}" for i in range(len(axes))]
    )
    if all(axes[0].same_as(other) for other in axes[1:]):
        return axes[0]
    lows = [float(a.values.min()) for a in axes]
    highs = [float(a.values.max()) for a in axes]
    lo, hi = max(lows), min(highs)
    step = max(float(np.median(np.abs(np.diff(a.values)))) for a in axes if len(a) > 1)
    if hi - lo < step:
        raise ValueError(
            f"The axes barely overlap: {names[int(np.argmax(lows))]} starts at "
            f"{lo:g} and {names[int(np.argmin(highs))]} ends at {hi:g}, less "
            f"than one step ({step:g}) apart; pass a common `axis` yourself."
        )
    values = lo + step * np.arange(int(np.floor((hi - lo) / step + 1e-9)) + 1)
    return axes[0].with_values(values if axes[0].increasing else values[::-1])


def _target(axis: Any, axes: list[SpectralAxis], files: list[Path]) -> SpectralAxis:
    if isinstance(axis, str):
        check_choice("axis", axis, ("common",))
        if axes[0].quantity == "channel":
            for other, file in zip(axes[1:], files[1:], strict=True):
                if not axes[0].same_as(other):
                    raise ValueError(
                        f"{files[0]} and {file} have no calibrated axis and "
                        f"different channels ({axes[0].describe()} and "
                        f"{other.describe()}); channels of different analysers "
                        "or binnings do not match, so they are not interpolated."
                    )
        return common_axis(axes, files)
    target = as_spectral_axis(axis, name="axis")
    if target is None:
        raise TypeError(
            "`axis` must be 'common', a SpectralAxis or axis values; got None."
        )
    for what in ("quantity", "unit"):
        mine, theirs = getattr(target, what), getattr(axes[0], what)
        if mine is not None and theirs is not None and mine != theirs:
            raise ValueError(
                f"`axis` has {what} {mine!r} but the files ({files[0]}, ...) "
                f"have {theirs!r}."
            )
    return target


def _onto(
    X: np.ndarray, source: SpectralAxis, target: SpectralAxis, file: Path, method: str
) -> np.ndarray:
    if source.same_as(target):
        return X
    try:
        return resample_spectra(X, source, target, method=method)
    except ValueError as err:
        raise ValueError(f"Cannot put {file} on the requested axis: {err}") from err


def read_folder(
    folder: str | os.PathLike[str],
    *,
    pattern: str | None = None,
    axis: str | SpectralAxis | ArrayLike = "common",
    method: str = "linear",
    verbose: int = 0,
) -> tuple[np.ndarray, np.ndarray, SpectralAxis, list[Path]]:
    """Read every spectrum file of a folder whose sub-folders name the classes.

    ``folder/ClassA/*.spe``, ``folder/ClassB/*.spe`` ...: the way the PGAA
    raw data and most lab archives are organised. Sub-folders are searched
    recursively; the first-level sub-folder gives the label.

    Parameters
    ----------
    folder : str or path-like
        The folder holding one sub-folder per class.
    pattern : str, default=None
        A glob pattern files must match within each sub-folder (``"*.Spe"``);
        None takes every file with a readable suffix. Hidden files and
        folders (``.name``) are skipped; files with a suffix no reader knows
        are skipped with a warning that lists them; files directly in
        ``folder`` are ignored.
    axis : "common", SpectralAxis or array-like, default="common"
        The axis of the result. ``"common"``: the files' axis when they all
        share one, else the range that all files cover sampled at the
        coarsest of their median steps (interpolating onto a finer step
        would invent resolution); files on uncalibrated channels must all
        have the same channels. An axis given here is used as is; every
        file must cover it.
    method : {"linear", "cubic"}, default="linear"
        Interpolation of files not already on the axis
        (:func:`specauth.axis.resample_spectra`).
    verbose : int, default=0
        ``1`` prints progress every 100 files and a summary, ``2`` every file.

    Returns
    -------
    X : ndarray of shape (n_spectra, n_points), float32
        The spectra, sub-folders in name order, files sorted within each.
    y : ndarray of shape (n_spectra,), str
        The sub-folder name of every spectrum.
    axis : SpectralAxis
        Files without an axis are on their channels.
    files : list of Path
        The file every row came from (a file with several spectra gives
        several rows).

    Raises
    ------
    FileNotFoundError
        If ``folder`` is not a folder.
    ValueError
        If it has no sub-folders, a sub-folder has no readable file, files
        are on different quantities or units (both files are named), or
        their axes do not overlap.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name, text in [("A", "1 10\\n2 20\\n3 30\\n"), ("B", "1 5\\n3 7\\n")]:
    ...     (root / name).mkdir()
    ...     _ = (root / name / "s.xy").write_text(text)
    >>> X, y, axis, files = read_folder(root)
    >>> X, y, axis.values
    (array([[10., 30.],
           [ 5.,  7.]], dtype=float32), array(['A', 'B'], dtype='<U1'), array([1., 3.]))
    """
    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(
            f"`folder` must be a str or path-like; got {type(folder).__name__}."
        )
    root = Path(os.fspath(folder))
    if not root.is_dir():
        raise FileNotFoundError(f"No such folder: {root}")
    method = check_choice("method", method, ("linear", "cubic"))
    verbose = check_scalar(
        "verbose", verbose, Interval(Integral, 0, None, closed="left")
    )
    if pattern is not None and not isinstance(pattern, str):
        raise TypeError(f"`pattern` must be a str or None; got {pattern!r}.")
    found, skipped = _class_files(root, pattern or "*")
    if skipped:
        shown = ", ".join(str(p) for p in skipped[:5])
        more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        warnings.warn(
            f"read_folder skipped {len(skipped)} file(s) no reader knows: "
            f"{shown}{more}.",
            UserWarning,
            stacklevel=2,
        )
    files = [file for group in found.values() for file in group]
    labels = [name for name, group in found.items() for _ in group]
    spectra, axes = [], []
    for count, file in enumerate(files, start=1):
        X, file_axis = _read(file)
        spectra.append(X)
        axes.append(file_axis)
        if verbose >= 2 or (verbose and count % 100 == 0):
            print(f"read_folder: {count}/{len(files)} {file} {X.shape}")
    _check_units(axes, files)
    target = _target(axis, axes, files)
    rows = [
        _onto(X, a, target, f, method)
        for X, a, f in zip(spectra, axes, files, strict=True)
    ]
    X_all = np.concatenate(rows).astype(np.float32)
    y = np.array([label for label, X in zip(labels, rows, strict=True) for _ in X])
    row_files = [file for file, X in zip(files, rows, strict=True) for _ in X]
    if verbose:
        print(
            f"read_folder: {X_all.shape[0]} spectra from {len(files)} files in "
            f"{len(found)} classes, on {target.describe()}"
        )
    return X_all, y, target, row_files
