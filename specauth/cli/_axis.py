"""The axis in the commands: read it with the spectra, check it against a model.

``train`` reads the axis of ``--x`` (a header row, a first column, an npz
array, an HDF5 scale, an instrument file, a labelled folder) and keeps it in
the model; ``predict``, ``explain`` and ``report`` compare the axis of their
``--x`` with the model's: the same axis passes, another one is refused with
what differs, or interpolated onto the model's axis with ``--resample``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth.axis import (
    SpectralAxis,
    estimator_axis,
    parse_axis_label,
    resample_spectra,
)

if TYPE_CHECKING:
    import argparse

__all__ = [
    "add_axis_label_argument",
    "check_crop",
    "describe_steps",
    "with_axis",
    "add_resample_argument",
    "named_axis",
    "read_training_data",
    "spectra_on_model_axis",
    "model_axis",
]


def add_axis_label_argument(parser: argparse.ArgumentParser) -> None:
    """``--axis-label``: what the axis of ``--x`` is when the file does not say."""
    parser.add_argument(
        "--axis-label",
        metavar="LABEL",
        default=None,
        help="quantity and unit of the axis read from --x when the file does not "
        "name them, e.g. 'wavenumber (cm-1)', 'energy (keV)', 'wavelength (nm)', "
        "'2theta (deg)' (a wavenumber axis is drawn decreasing to the right)",
    )


def add_resample_argument(parser: argparse.ArgumentParser) -> None:
    """``--resample``: interpolate spectra on another axis onto the model's."""
    parser.add_argument(
        "--resample",
        action="store_true",
        help="spectra whose axis differs from the model's are interpolated "
        "(linearly) onto the model's axis instead of refused",
    )


def named_axis(axis: SpectralAxis | None, label: str | None) -> SpectralAxis | None:
    """``axis`` with the quantity and unit of ``--axis-label`` (file names win)."""
    if axis is None or label is None:
        return axis
    quantity, unit = parse_axis_label(label)
    if axis.quantity is not None and quantity is not None and axis.quantity != quantity:
        print(
            f"note: --axis-label {label!r} ignored: the file names its axis "
            f"{axis.label!r}",
            file=sys.stderr,
        )
        return axis
    return SpectralAxis(axis.values, axis.quantity or quantity, axis.unit or unit)


def read_training_data(
    args: argparse.Namespace,
) -> tuple[Any, Any, SpectralAxis | None]:
    """``(X, y, axis)`` of ``train``: a file with ``--y``, or a labelled folder.

    A folder's labels are its sub-folder names and its files are put on one
    common axis (:func:`specauth.datasets.read_folder`); ``--y`` must then be
    left out.
    """
    from specauth.cli._files import reading
    from specauth.datasets import read_folder, read_labels
    from specauth.datasets.files import read_spectra_axis

    quiet = getattr(args, "quiet", False)
    axis: SpectralAxis | None
    if Path(args.x).is_dir():
        if args.y is not None:
            raise ValueError(
                f"--x {args.x} is a folder: the labels are its sub-folder names, so "
                "--y must be left out."
            )
        with reading("--x", args.x):
            X, y, axis, files = read_folder(args.x, verbose=0 if quiet else 1)
        if not quiet:
            print(
                f"read {len(files)} files of {len(set(y.tolist()))} classes from "
                f"{args.x}; axis: {axis.describe()}"
            )
    else:
        if args.y is None:
            raise ValueError(
                f"--y is required when --x is a file ({args.x}); give one label "
                "per spectrum, or pass a folder of sub-folders named by class."
            )
        with reading("--x", args.x):
            X, axis = read_spectra_axis(args.x, verbose=0 if quiet else 1)
        with reading("--y", args.y):
            y = read_labels(args.y, n_expected=len(X))
    return X, y, named_axis(axis, getattr(args, "axis_label", None))


def model_axis(model: Any, *, where: str = "input") -> SpectralAxis | None:
    """The model's axis (``where="final"``: as its network sees the spectra)."""
    try:
        return estimator_axis(model, where=where)
    except (AttributeError, TypeError):  # pragma: no cover - foreign models
        return None


def spectra_on_model_axis(
    model: Any,
    X: np.ndarray,
    file_axis: SpectralAxis | None,
    *,
    resample: bool,
    option: str = "--x",
    path: str | os.PathLike[str] | None = None,
    announce: bool = True,
) -> np.ndarray:
    """``X`` checked against (or resampled onto) the model's input axis.

    Raises
    ------
    ValueError
        When the axes differ and ``resample`` is False; the message says how
        they differ and suggests ``--resample``.
    """
    expected = model_axis(model)
    if expected is None or file_axis is None:
        return X
    problem = expected.mismatch(file_axis)
    if problem is None:
        return X
    where = f"{option} {os.fspath(path)}" if path is not None else option
    if not resample:
        raise ValueError(
            f"{where} is on another axis than the model: {problem}. The model "
            f"was trained on {expected.describe()}; the file has "
            f"{file_axis.describe()}. Pass --resample to interpolate the "
            "spectra onto the model's axis."
        )
    out = resample_spectra(X, file_axis, expected).astype(np.float32)
    if announce:
        print(
            f"resampling spectra from {file_axis.describe()} onto the "
            f"model's {expected.describe()}",
            file=sys.stderr,
        )
    return out


def with_axis(pipe: Any, axis: SpectralAxis | None, X: np.ndarray) -> Any:
    """The pipeline of ``train``, told the axis of its spectra.

    The axis goes to every step with an ``axis`` parameter (a crop then
    works in axis units, a baseline uses the axis values), each step being
    given the axis as it stands after the crops before it; an
    :class:`~specauth.preprocessing.AxisResampler` holding the training axis
    becomes the first step, so that the saved model knows its axis
    (:func:`specauth.axis.estimator_axis`). Images and spectra without an
    axis leave the pipeline as it is.
    """
    from sklearn.pipeline import Pipeline

    from specauth.preprocessing import Crop
    from specauth.preprocessing.resample import AxisResampler

    if axis is None or np.ndim(X) != 2:
        return pipe
    current = axis
    for _, step in pipe.steps:
        if "axis" not in step.get_params(deep=False) or step is pipe.steps[-1][1]:
            continue
        if step.get_params(deep=False)["axis"] is None:
            step.set_params(axis=current)
        if isinstance(step, Crop):
            kept = Crop(step.start, step.stop, axis=current, by=step.by)
            current = kept.fit(np.zeros((1, len(current)))).axis_out_ or current
    return Pipeline([("axis", AxisResampler(axis=axis)), *pipe.steps])


def check_crop(args: argparse.Namespace, axis: SpectralAxis | None) -> None:
    """Refuse ``--crop`` values that are not indices when ``--x`` has no axis."""
    crop = getattr(args, "crop", None)
    if crop is None or axis is not None:
        return
    if any(v is not None and not isinstance(v, int) for v in crop):
        raise ValueError(
            f"--crop {crop[0]}:{crop[1]} gives axis values, but --x has no axis "
            "(no header row of axis values, axis column or axis array): give "
            "point indices (e.g. --crop 0:2631) or a file with its axis."
        )


def describe_steps(pipe: Any) -> list[str]:
    """Lines saying what the fitted crops kept (axis units or indices)."""
    from specauth.preprocessing import Crop

    return [
        f"{name}: {step.describe()}"
        for name, step in getattr(pipe, "steps", [])
        if isinstance(step, Crop)
    ]
