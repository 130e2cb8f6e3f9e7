"""Where files keep the axis of their spectra, and which way the spectra run.

Text tables: spectra in rows under a header row of axis values (numeric, or
with a first field naming the axis or a sample-name column), or spectra in
columns beside a first column of axis values. ``.npz`` archives: an array
named ``axis`` (or ``energy``, ``wavenumber`` ...) beside the spectra. HDF5:
a dimension scale attached to the last dimension of the dataset, an
attribute, or a sibling dataset with such a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._validation import check_choice
from specauth.axis import QUANTITIES, SpectralAxis, parse_axis_label

from ._textio import (
    _split,
    _to_floats,
    parse_numeric_rows,
    read_text_rows,
    sniff_delimiter,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

__all__ = [
    "AXIS_KEYS",
    "ORIENTATIONS",
    "TextLayout",
    "text_layout",
    "read_text_spectra",
    "npz_axis",
    "hdf5_axis",
]

#: array / dataset / attribute names that hold an axis, by quantity
AXIS_KEYS: dict[str, str | None] = {
    "axis": None,
    "x": None,
    "energy": "energy",
    "energies": "energy",
    "wavenumber": "wavenumber",
    "wavenumbers": "wavenumber",
    "raman_shift": "raman_shift",
    "wavelength": "wavelength",
    "wavelengths": "wavelength",
    "two_theta": "two_theta",
    "2theta": "two_theta",
    "tth": "two_theta",
    "q": "q",
    "channel": "channel",
    "channels": "channel",
}
ORIENTATIONS = ("infer", "rows", "columns")


def _monotonic(values: np.ndarray) -> bool:
    if values.size < 2 or not np.isfinite(values).all():
        return False
    steps = np.diff(values)
    return bool(np.all(steps > 0) or np.all(steps < 0))


def _names_axis(text: str) -> bool:
    """Whether a header field names an axis ("wavenumber (cm-1)", "keV", "x")."""
    if text.strip().lower() in AXIS_KEYS:
        return True
    quantity, unit = parse_axis_label(text)
    return quantity in QUANTITIES or unit is not None


@dataclass(frozen=True)
class TextLayout:
    """How a text table holds its spectra (see :func:`text_layout`)."""

    orientation: str  # "rows" or "columns"
    header: bool  # the first row is a header (skipped as data)
    skip_columns: int  # leading fields of data rows that are not values
    axis_values: np.ndarray | None  # from the header (rows) or None
    label: str | None  # the header's name for the axis

    def describe(self, axis: SpectralAxis | None) -> str:
        where = "rows" if self.orientation == "rows" else "columns"
        if axis is None:
            return f"spectra in {where}; no axis in the file"
        source = "the header row" if self.orientation == "rows" else "the first column"
        return f"spectra in {where}; axis from {source}: {axis.describe()}"


def text_layout(
    fields: Sequence[tuple[int, Sequence[str]]], orientation: str = "infer"
) -> TextLayout:
    """Decide how the split rows of a text table hold spectra and their axis.

    Rows (the default): a first row of numbers that is strictly monotonic is
    the axis, never a spectrum (unless every row is: then nothing tells it
    from the data and all rows are spectra); a first row whose first field is text (a
    name for the axis, a blank, "sample") and whose other fields are numbers
    is the axis too, and the first field of every data row (a sample name or
    index) is left out; any other text header is skipped. Columns: the first
    column is the axis and every other column a spectrum; inferred when the
    header names the axis in its first field ("wavenumber (cm-1)", "x",
    "keV") but not in numbers, or, without a header, when the first column
    is strictly monotonic, the first row is not, and there are more rows than
    columns.
    """
    head = list(fields[0][1])
    head_values, _ = _to_floats(head)
    tail_values = _to_floats(head[1:])[0] if len(head) > 2 else None
    data = fields[1:] if head_values is None else fields
    first_column = _first_column(data)
    if orientation == "infer":
        orientation = _infer(head, head_values, tail_values, data, first_column)
    if orientation == "columns":
        return TextLayout("columns", head_values is None, 0, None, _label_of(head))
    if head_values is not None:
        if _monotonic(head_values) and not _all_monotonic(fields[1:]):
            return TextLayout("rows", True, 0, head_values, None)
        return TextLayout("rows", False, 0, None, None)
    if tail_values is not None and _monotonic(tail_values):
        label = head[0] if head[0].strip() and _names_axis(head[0]) else None
        return TextLayout("rows", True, 1, tail_values, label)
    return TextLayout("rows", True, 0, None, None)


def _all_monotonic(data: Sequence[tuple[int, Sequence[str]]]) -> bool:
    """Whether every row is strictly monotonic (or there is none): then a
    monotonic first row is not told apart from the data by its shape."""
    for _, items in data:
        values, _ = _to_floats(items)
        if values is None or not _monotonic(values):
            return False
    return True


def _label_of(head: Sequence[str]) -> str | None:
    if _to_floats(head)[0] is not None or not head[0].strip():
        return None
    return head[0]


def _first_column(data: Sequence[tuple[int, Sequence[str]]]) -> np.ndarray | None:
    if len(data) < 2:
        return None
    values, _ = _to_floats([items[0] for _, items in data if items])
    return values


def _infer(head, head_values, tail_values, data, first_column) -> str:
    column_axis = first_column is not None and _monotonic(first_column)
    if head_values is None:
        if tail_values is not None and _monotonic(tail_values):
            return "rows"  # a header of axis values after a name
        named = head[0].strip() and _names_axis(head[0])
        return "columns" if named and column_axis else "rows"
    if not column_axis or len(head) < 2 or len(data) <= len(head):
        return "rows"
    row_axis = _monotonic(head_values) and not _all_monotonic(data[1:])
    return "rows" if row_axis else "columns"


def read_text_spectra(
    file: Path, orientation: str = "infer"
) -> tuple[np.ndarray, SpectralAxis | None, TextLayout]:
    """Read a text table of spectra and its axis; see :func:`text_layout`."""
    check_choice("orientation", orientation, ORIENTATIONS)
    name = str(file)
    rows = read_text_rows(file)
    if not rows:
        raise ValueError(f"{name} holds no data (it is empty or only comments).")
    fields = _split(rows, sniff_delimiter(rows))
    layout = text_layout(fields, orientation)
    data = fields[1:] if layout.header else fields
    if not data:
        raise ValueError(f"{name} holds a header line but no data rows.")
    values, _ = parse_numeric_rows(name, data, skip_columns=layout.skip_columns)
    if layout.orientation == "columns":
        if values.shape[1] < 2:
            raise ValueError(
                f"{name}: spectra in columns need a first column of axis values "
                f"and at least one column of intensities; got {values.shape[1]} "
                "column(s)."
            )
        column = _checked_axis(values[:, 0], layout.label, name, "first column")
        return values[:, 1:].T.astype(np.float32), column, layout
    axis: SpectralAxis | None = None
    if layout.axis_values is not None:
        axis = _checked_axis(layout.axis_values, layout.label, name, "header row")
        if len(axis) != values.shape[1]:
            raise ValueError(
                f"{name}: the header row has {len(axis)} axis values but the "
                f"data rows have {values.shape[1]} values."
            )
    return values.astype(np.float32), axis, layout


def _checked_axis(values, label, name, where) -> SpectralAxis:
    try:
        return SpectralAxis.from_label(values, label)
    except ValueError as err:
        raise ValueError(f"{name}: the {where} is not a valid axis: {err}") from err


# ---------------------------------------------------------------- binary files
def _axis_from(values: Any, name: str, n_points: int, label: str | None = None):
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.shape[0] != n_points or arr.dtype.kind not in "biuf":
        return None
    if not _monotonic(arr.astype(np.float64)):
        return None
    quantity = AXIS_KEYS.get(name.lower())
    if label:
        return SpectralAxis.from_label(arr, label)
    return SpectralAxis(arr, quantity)


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return _text(value[()])
    return value if isinstance(value, str) else None


def npz_axis(archive: Any, key: str, n_points: int) -> SpectralAxis | None:
    """The axis stored beside array ``key`` of an open ``.npz`` archive, or None.

    The first array named in :data:`AXIS_KEYS` (other than ``key``) that is
    1D with ``n_points`` strictly monotonic numbers; an optional 0-d string
    array ``axis_label`` (``"wavenumber (cm-1)"``) names its quantity and unit.
    """
    names = {n.lower(): n for n in archive.files if n != key}
    label = _text(archive["axis_label"]) if "axis_label" in archive.files else None
    for candidate in AXIS_KEYS:
        if candidate in names:
            axis = _axis_from(archive[names[candidate]], candidate, n_points, label)
            if axis is not None:
                return axis
    return None


def _attribute_label(attrs: Any) -> str | None:
    for key in ("axis_label", "long_name", "label"):
        if key in attrs:
            text = _text(attrs[key])
            if text:
                return text
    for key in ("units", "unit"):
        if key in attrs:
            text = _text(attrs[key])
            if text:
                return text
    return None


def hdf5_axis(node: Any, h5py: Any, n_points: int) -> SpectralAxis | None:
    """The axis of an HDF5 dataset of spectra, or None.

    Looked for, in order: a dimension scale attached to the last dimension,
    an array attribute named in :data:`AXIS_KEYS`, a 1D sibling dataset so
    named. Its ``axis_label``, ``long_name`` or ``units`` attribute (or the
    spectra's ``axis_label`` attribute) names the quantity and unit.
    """
    try:
        scales = list(node.dims[node.ndim - 1].values()) if node.ndim else []
    except (RuntimeError, ValueError, IndexError):  # no dimension scales
        scales = []
    own_label = _text(node.attrs["axis_label"]) if "axis_label" in node.attrs else None
    for scale in scales:
        name = scale.name.rsplit("/", 1)[-1]
        axis = _axis_from(
            scale[()], name, n_points, _attribute_label(scale.attrs) or own_label
        )
        if axis is not None:
            return axis
    for key in AXIS_KEYS:
        if key in node.attrs:
            axis = _axis_from(node.attrs[key], key, n_points, own_label)
            if axis is not None:
                return axis
    group = node.parent
    for key in AXIS_KEYS:
        sibling = group.get(key)
        if isinstance(sibling, h5py.Dataset) and sibling.name != node.name:
            label = _attribute_label(sibling.attrs) or own_label
            axis = _axis_from(sibling[()], key, n_points, label)
            if axis is not None:
                return axis
    return None
