"""Read spectra and labels from files (used by the ``specauth`` command line).

Supported spectrum files: ``.npy``, ``.npz``, delimited text (``.csv``,
``.tsv``, ``.txt``), HDF5 (``.h5``, ``.hdf5``; needs ``h5py``) and the
formats of :mod:`specauth.datasets.instrument` (JCAMP-DX, Ortec, Canberra,
Thermo/Galactic, x-y text). Labels are read from text files (one per line) or
``.npy`` files. Nothing is unpickled.
"""

from __future__ import annotations

import csv
import os
import zipfile
import zlib
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._lazy import import_optional
from .._validation import Interval, check_choice, check_scalar, check_spectra
from ..axis import SpectralAxis
from ._layout import (
    AXIS_KEYS,
    ORIENTATIONS,
    hdf5_axis,
    npz_axis,
    read_text_spectra,
    text_layout,
)
from ._textio import _split, parse_numeric_rows, read_text_rows, sniff_delimiter
from .instrument import INSTRUMENT_SUFFIXES, read_instrument_file

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Literal

__all__ = [
    "read_spectra",
    "read_spectra_axis",
    "read_axis",
    "read_labels",
    "iter_spectra",
]

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
HDF5_SUFFIXES = (".h5", ".hdf5")
SPECTRA_SUFFIXES = (
    ".npy",
    ".npz",
    *TEXT_SUFFIXES,
    *HDF5_SUFFIXES,
    *INSTRUMENT_SUFFIXES,
)
LABEL_SUFFIXES = (".csv", ".tsv", ".txt", ".npy", ".h5", ".hdf5")
LABEL_HEADERS = frozenset(
    {"label", "labels", "y", "class", "classes", "target", "targets", "name"}
)


def _split_key(path):
    """Split ``"file.h5:/group/data"`` into ``(Path("file.h5"), "/group/data")``."""
    text = os.fspath(path)
    if not isinstance(text, str):
        raise TypeError(f"`path` must be a str or path-like; got bytes {text!r}.")
    if Path(text).exists() or ":" not in text:
        return Path(text), None
    base, _, key = text.rpartition(":")
    if Path(base).suffix.lower() in (".npz", *HDF5_SUFFIXES) and key:
        return Path(base), key
    return Path(text), None


def _check_path(path, suffixes, what):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"`path` must be a str or path-like naming a {what} file; "
            f"got {type(path).__name__}."
        )
    file, key = _split_key(path)
    suffix = file.suffix.lower()
    if suffix not in suffixes:
        raise ValueError(
            f"Cannot read {what} from {file}: unsupported extension "
            f"{suffix or '(none)'!r}; supported: {', '.join(suffixes)}."
        )
    if not file.is_file():
        raise FileNotFoundError(f"No such {what} file: {file}")
    return file, key, suffix


def _load_npy(file):
    try:
        return np.load(file, allow_pickle=False)
    except ValueError as err:  # object arrays need pickle, or a corrupt file
        raise ValueError(
            f"Cannot read {file}: {err}. Save plain numeric (or string) arrays "
            "with numpy.save; pickled object arrays are not read."
        ) from err


def _npz_key(file, names, key):
    if key is None:
        key = _default_key(names)
        if key is None:
            raise ValueError(
                f"{file} has no array 'X' and holds {len(names)} arrays {names}; "
                f"name the array to read as '{file}:NAME'."
            )
    if key not in names:
        raise ValueError(
            f"{file} has no array {key!r}; it holds {names}. Name the array "
            f"to read as '{file}:NAME'."
        )
    return key


def _load_npz(file, key, *, with_axis=False):
    try:
        archive = np.load(file, allow_pickle=False)
    except ValueError as err:
        raise ValueError(f"Cannot read {file} as an .npz archive: {err}") from err
    with archive:
        key = _npz_key(file, list(archive.files), key)
        try:
            array = archive[key]
        except ValueError as err:
            raise ValueError(f"Cannot read array {key!r} of {file}: {err}") from err
        if not with_axis:
            return array
        return array, npz_axis(archive, key, array.shape[-1] if array.ndim else 0)


def _hdf5_datasets(handle, h5py):
    names = []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            names.append("/" + name)

    handle.visititems(visit)
    return names


def _hdf5_dataset(handle, h5py, file, key):
    """Return the dataset ``key`` of an open HDF5 file (the only one if None).

    Without ``key``, a file holding one dataset of spectra and 1D datasets
    of axis values (``axis``, ``energy``, ``wavenumber`` ...) reads the one
    that is not an axis.
    """
    names = _hdf5_datasets(handle, h5py)
    if key is None:
        key = _default_key(names)
        if key is None:
            raise ValueError(
                f"{file} holds {len(names)} datasets {names}; name the one to "
                f"read as '{file}:/path/to/dataset'."
            )
    node = handle.get(key)
    if not isinstance(node, h5py.Dataset):
        raise ValueError(f"{file} has no dataset {key!r}; its datasets are {names}.")
    return node


def _load_hdf5(file, key, *, with_axis=False):
    h5py = import_optional("h5py", purpose="read HDF5 files")
    with h5py.File(file, "r") as handle:
        node = _hdf5_dataset(handle, h5py, file, key)
        array = node[()]
        if not with_axis:
            return array
        n_points = node.shape[-1] if node.ndim else 0
        return array, hdf5_axis(node, h5py, n_points)


def _default_key(names):
    """The array of an archive (or file) to read when none is named, or None.

    ``X`` when there is one; else the only array that is not an axis
    (``axis``, ``energy``, ``wavenumber`` ... or ``axis_label``).
    """
    if "X" in names:
        return "X"
    spectra = [
        n for n in names if n.rsplit("/", 1)[-1] not in (*AXIS_KEYS, "axis_label")
    ]
    if len(spectra) == 1:
        return spectra[0]
    return names[0] if len(names) == 1 else None


def read_spectra(
    path: str | os.PathLike[str],
    *,
    allow_nd: bool = False,
    orientation: Literal["infer", "rows", "columns"] = "infer",
) -> np.ndarray:
    """Read an array of spectra (one per row) from a file.

    Parameters
    ----------
    path : str or path-like
        The file. Its extension picks the reader:

        - ``.npy``: a numeric array (read with ``allow_pickle=False``);
        - ``.npz``: the array ``X``, or the only array in the archive that
          is not an axis (see :func:`read_spectra_axis`); write
          ``"file.npz:NAME"`` to pick another;
        - ``.csv``, ``.tsv``, ``.txt``: numbers separated by commas, tabs or
          whitespace (detected), one spectrum per line (or per column, see
          ``orientation``); blank lines and lines starting with ``#`` are
          skipped. A first line of axis values (strictly monotonic numbers,
          such as wavenumbers) is the axis, never a spectrum; a first line
          with other text in it is a header and is skipped;
        - ``.h5``, ``.hdf5``: the only dataset in the file (besides axis
          datasets), or the one named as ``"file.h5:/path/to/dataset"``
          (needs ``h5py``).
    allow_nd : bool, default=False
        Return 3D/4D arrays of binary files (``(n, length, channels)`` or
        images ``(n, h, w, c)``) unchanged. By default the result must be 2D.
    orientation : {"infer", "rows", "columns"}, default="infer"
        How a text file holds its spectra: one per row, or one per column
        beside a first column of axis values. ``"infer"`` reads columns
        when the header's first field names an axis (``"wavenumber (cm-1)"``,
        ``"keV"``, ``"x"``) or, without a header, when the first column is
        strictly monotonic, the first row is not and there are more rows
        than columns; rows otherwise.

    Returns
    -------
    X : ndarray of shape (n_samples, n_points), float32
        The spectra. A 1D array is read as a single spectrum ``(1, n)``.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        For an unsupported extension, rows of different lengths or
        non-numeric values (with the line number), NaN or infinity, or a
        missing array/dataset name.
    ImportError
        If an HDF5 file is read without ``h5py`` installed.

    See Also
    --------
    read_spectra_axis : Read the spectra and their axis.
    read_labels : Read the matching class labels.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "spectra.csv").write_text("a,b,c\\n1,2,3\\n4,5,6\\n")
    >>> read_spectra(folder / "spectra.csv")
    array([[1., 2., 3.],
           [4., 5., 6.]], dtype=float32)
    """
    return read_spectra_axis(path, allow_nd=allow_nd, orientation=orientation)[0]


def read_spectra_axis(
    path: str | os.PathLike[str],
    *,
    allow_nd: bool = False,
    orientation: Literal["infer", "rows", "columns"] = "infer",
    verbose: int = 0,
) -> tuple[np.ndarray, SpectralAxis | None]:
    """Read spectra and their physical axis (energy, wavenumber ...) from a file.

    The axis is found where files keep it:

    - the formats instruments write (JCAMP-DX ``.jdx``/``.dx``, Ortec
      ``.Spe``/``.Chn``, Canberra ``.cnf``, Thermo/Galactic ``.spc``,
      two-column ``.xy``/``.dat``): see
      :func:`specauth.datasets.read_instrument_file`;
    - text tables: the header row when the spectra are in rows (numbers, or
      a first field naming the axis such as ``"wavenumber (cm-1)"`` followed
      by numbers; then the first field of every data row, a sample name or
      index, is left out), the first column when they are in columns;
    - ``.npz``: an array named ``axis``, ``x``, ``energy``, ``energies``,
      ``wavenumber(s)``, ``raman_shift``, ``wavelength(s)``, ``two_theta``,
      ``2theta``, ``q`` or ``channel(s)`` with one value per point, and an
      optional string ``axis_label`` (``"energy (keV)"``);
    - HDF5: a dimension scale attached to the last dimension of the dataset,
      an attribute or a sibling dataset with one of those names; its
      ``axis_label``, ``long_name`` or ``units`` attribute names the unit.

    Parameters
    ----------
    path, allow_nd, orientation
        As for :func:`read_spectra`.
    verbose : int, default=0
        ``>= 1`` prints how the file was read (orientation, axis found).

    Returns
    -------
    X : ndarray of shape (n_samples, n_points), float32
        The spectra, as :func:`read_spectra` returns them.
    axis : SpectralAxis or None
        The axis, or None when the file has none (``.npy`` files never do).

    See Also
    --------
    read_spectra : The spectra alone.
    specauth.axis.SpectralAxis : The axis object.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> text = "wavenumber (cm-1),1000,1002,1004\\nA,0.1,0.2,0.3\\nB,0.4,0.5,0.6\\n"
    >>> _ = (folder / "ir.csv").write_text(text)
    >>> X, axis = read_spectra_axis(folder / "ir.csv")
    >>> X
    array([[0.1, 0.2, 0.3],
           [0.4, 0.5, 0.6]], dtype=float32)
    >>> axis
    SpectralAxis(1000..1004, 3 points, quantity='wavenumber', unit='cm⁻¹')
    """
    check_choice("orientation", orientation, ORIENTATIONS)
    file, key, suffix = _check_path(path, SPECTRA_SUFFIXES, "spectra")
    axis: SpectralAxis | None = None
    if suffix in INSTRUMENT_SUFFIXES:
        X, found = read_instrument_file(file)
        if verbose:
            print(f"{file}: {X.shape[0]} spectra; axis: {found.describe()}")
        return X, found
    if suffix in TEXT_SUFFIXES:
        X, axis, layout = read_text_spectra(file, orientation)
        if verbose:
            print(
                f"{file}: {X.shape[0]} spectra of {X.shape[1]} points; "
                f"{layout.describe(axis)}"
            )
        return X, axis
    if suffix == ".npy":
        array = _load_npy(file)
    elif suffix == ".npz":
        array, axis = _load_npz(file, key, with_axis=True)
    else:
        array, axis = _load_hdf5(file, key, with_axis=True)
    if array.ndim == 1:
        array = array[np.newaxis, :]
    ndim = (2, 3, 4) if allow_nd else (2,)
    X = check_spectra(array, name=f"spectra in {file}", ndim=ndim)
    if verbose:
        where = axis.describe() if axis is not None else "no axis in the file"
        print(f"{file}: {X.shape[0]} spectra of shape {X.shape[1:]}; {where}")
    return X, axis


def read_axis(
    path: str | os.PathLike[str],
    *,
    orientation: Literal["infer", "rows", "columns"] = "infer",
) -> SpectralAxis | None:
    """Read only the axis of a spectra file (None when it has none).

    Cheap for large files: the first lines of a text file with spectra in
    rows, the shapes and axis arrays of ``.npz`` and HDF5 files. A text file
    with spectra in columns and the instrument formats are read whole.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "x.csv").write_text("energy (keV),10,20,30\\na,1,5,2\\n")
    >>> read_axis(folder / "x.csv")
    SpectralAxis(10..30, 3 points, quantity='energy', unit='keV')
    """
    check_choice("orientation", orientation, ORIENTATIONS)
    file, key, suffix = _check_path(path, SPECTRA_SUFFIXES, "spectra")
    if suffix in INSTRUMENT_SUFFIXES:
        return read_instrument_file(file)[1]
    if suffix in TEXT_SUFFIXES:
        rows: list[tuple[int, str]] = next(_text_row_chunks(file, 1024), [])
        if not rows:
            return None
        layout = text_layout(_split(rows, sniff_delimiter(rows)), orientation)
        if layout.orientation == "columns":
            return read_text_spectra(file, "columns")[1]
        if layout.axis_values is None:
            return None
        return SpectralAxis.from_label(layout.axis_values, layout.label)
    if suffix == ".npy":
        return None
    if suffix == ".npz":
        with np.load(file, allow_pickle=False) as archive:
            name = _npz_key(file, list(archive.files), key)
            member = _npz_member(file, name)
            if member is None:
                return None
            with zipfile.ZipFile(file) as zipped, zipped.open(member) as handle:
                shape = _npy_header(handle, file)[0]
            return npz_axis(archive, name, shape[-1]) if shape else None
    h5py = import_optional("h5py", purpose="read HDF5 files")
    with h5py.File(file, "r") as handle:
        node = _hdf5_dataset(handle, h5py, file, key)
        return hdf5_axis(node, h5py, node.shape[-1]) if node.ndim else None


def _label_header(first, rest, header, n_expected):
    """Whether the first line of a label file is a header."""
    if header in (True, False):
        return header
    if n_expected is not None and len(rest) == n_expected:
        return True
    return first.lower() in LABEL_HEADERS and first not in rest


def _text_labels(file):
    rows = read_text_rows(file)
    delimiter = "\t" if file.suffix.lower() == ".tsv" else ","
    labels = []
    for number, text in rows:
        fields = next(csv.reader([text], delimiter=delimiter))
        if len(fields) != 1:
            raise ValueError(
                f"{file}, line {number}: expected one label per line; got "
                f"{len(fields)} fields {fields}. Quote labels that contain "
                f"{delimiter!r}."
            )
        labels.append(fields[0].strip())
    return labels


def read_labels(
    path: str | os.PathLike[str],
    n_expected: int | None = None,
    *,
    header: Literal["infer"] | bool = "infer",
) -> np.ndarray:
    """Read class labels, one per sample, from a text, ``.npy`` or HDF5 file.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.tsv`` or ``.txt`` file with one label per line (labels
        containing the delimiter must be quoted; blank lines and lines
        starting with ``#`` are skipped), a 1D ``.npy`` array, or a 1D dataset
        of an HDF5 file, ``"FILE.h5:/path/to/labels"`` (``labels`` when no
        dataset is named).
    n_expected : int, default=None
        The number of labels there must be (usually the number of spectra).
    header : {"infer", True, False}, default="infer"
        Whether the first line of a text file is a header. ``"infer"`` skips
        it when it is one of the words ``label``, ``labels``, ``y``,
        ``class``, ``classes``, ``target``, ``targets``, ``name`` (any case)
        and does not appear again as a label, or when the file holds exactly
        ``n_expected + 1`` lines.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Strings for text files; the stored dtype for ``.npy`` files.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        For an unsupported extension, a line with several fields, a ``.npy``
        array that is not 1D, or a number of labels other than
        ``n_expected``.

    See Also
    --------
    read_spectra : Read the spectra these labels belong to.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "y.csv").write_text("class\\nSteel\\nConcrete\\n")
    >>> read_labels(folder / "y.csv", n_expected=2)
    array(['Steel', 'Concrete'], dtype='<U8')
    """
    if header not in ("infer", True, False):
        raise ValueError(f"`header` must be 'infer', True or False; got {header!r}.")
    check_scalar("n_expected", n_expected, Interval(Integral, 0, None), allow_none=True)
    file, key, suffix = _check_path(path, LABEL_SUFFIXES, "labels")
    if suffix in (".h5", ".hdf5"):
        labels = _hdf5_labels(file, key or "labels")
    elif suffix == ".npy":
        labels = _load_npy(file)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        if labels.ndim != 1:
            raise ValueError(
                f"{file} must hold a 1D array of labels; got shape {labels.shape}."
            )
    else:
        lines = _text_labels(file)
        if lines and _label_header(lines[0], lines[1:], header, n_expected):
            lines = lines[1:]
        labels = np.array(lines, dtype=str)
    if n_expected is not None and labels.shape[0] != n_expected:
        raise ValueError(
            f"{file} holds {labels.shape[0]} labels but {n_expected} were "
            "expected (one per spectrum); check that the files match."
        )
    return labels


def _hdf5_labels(file, key):
    """A 1D label dataset of an HDF5 file; byte strings decoded."""
    labels = np.asarray(_load_hdf5(file, key))
    if labels.ndim != 1:
        raise ValueError(
            f"Dataset {key!r} of {file} must hold one label per sample (1D); got "
            f"shape {labels.shape}."
        )
    if labels.dtype.kind in "SO":
        labels = np.array(
            [v.decode() if isinstance(v, bytes) else str(v) for v in labels.tolist()],
            dtype=str,
        )
    return labels


# ---------------------------------------------------------------- streaming
def _text_row_chunks(file, batch_size):
    """Yield lists of ``(line_number, text)`` of at most ``batch_size`` rows."""
    chunk = []
    try:
        with open(file, encoding="utf-8-sig", newline="") as handle:
            for number, line in enumerate(handle, start=1):
                stripped = line.strip()
                if not stripped or stripped.startswith("#"):
                    continue
                chunk.append((number, stripped))
                if len(chunk) == batch_size:
                    yield chunk
                    chunk = []
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{file} is not a UTF-8 text file ({err}); save it as UTF-8 text or "
            "as a .npy file."
        ) from err
    if chunk:
        yield chunk


def _iter_text(file, batch_size, orientation="infer"):
    delimiter, reference, layout = None, None, None
    for rows in _text_row_chunks(file, batch_size):
        if delimiter is None:  # delimiter from the first data line(s)
            delimiter = sniff_delimiter(rows)
        fields = _split(rows, delimiter)
        if layout is None:
            layout = text_layout(fields, orientation)
            if layout.orientation == "columns":  # cannot be streamed
                X = read_text_spectra(file, "columns")[0]
                yield from _iter_array(X, file, batch_size, (2,))
                return
            if layout.header:
                fields = fields[1:]
        if not fields:
            continue
        if reference is None:  # every chunk's rows as wide as the first row
            reference = (fields[0][0], len(fields[0][1]))
        values, _ = parse_numeric_rows(
            str(file), fields, skip_columns=layout.skip_columns, reference=reference
        )
        yield values.astype(np.float32)
    if reference is None:
        raise ValueError(
            f"{file} holds no data rows (it is empty, only comments or a header)."
        )


def _iter_array(array, file, batch_size, ndim, *, first_row=0):
    """Yield validated float32 slices of an array (or an HDF5 dataset)."""
    if array.dtype.kind not in "biuf":
        raise ValueError(
            f"{file} must hold numbers; got an array of dtype {array.dtype}."
        )
    if array.ndim == 1:
        array = array[np.newaxis, :]
    if array.ndim not in ndim or array.shape[0] == 0:
        raise ValueError(
            f"spectra in {file} must be a non-empty array with {ndim} dimensions; "
            f"got shape {array.shape}."
        )
    for start in range(0, array.shape[0], batch_size):
        chunk = np.asarray(array[start : start + batch_size])
        rows = f"rows {first_row + start}..{first_row + start + len(chunk) - 1}"
        yield check_spectra(chunk, name=f"spectra in {file} ({rows})", ndim=ndim)


def _npy_header(handle, file):
    """Return ``(shape, fortran_order, dtype)`` of an open ``.npy`` file."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(handle)
        if version == (1, 0):
            return fmt.read_array_header_1_0(handle)
        return fmt.read_array_header_2_0(handle)
    except ValueError as err:
        raise ValueError(f"Cannot read {file} as a .npy file: {err}") from err


def _fill(handle, out):
    """Read bytes from ``handle`` into contiguous ``out``; return the items read."""
    raw = out.reshape(-1).view(np.uint8)
    filled = 0
    while filled < raw.size:
        got = handle.readinto(raw[filled:])
        if not got:
            break
        filled += got
    return filled // out.dtype.itemsize


def _fortran_rows(handle, offset, shape, dtype, start, n):
    """Rows ``start:start + n`` of a Fortran-ordered payload, or None if cut short.

    Each column (each trailing index, in Fortran order) holds the rows
    contiguously: one read per column gives the block without touching the
    rest of the file.
    """
    columns = int(np.prod(shape[1:]))
    block = np.empty((columns, n), dtype=dtype)
    for column in range(columns):
        handle.seek(offset + (column * shape[0] + start) * dtype.itemsize)
        if _fill(handle, block[column]) != n:
            return None
    return np.ascontiguousarray(block.T.reshape((n, *shape[1:]), order="F"))


def _truncated(file, shape, start):
    return ValueError(
        f"{file} is truncated: its header announces shape {shape} but the data "
        f"ends before row {start}."
    )


def _iter_npy(file, batch_size, ndim):
    """Read ``.npy`` files a block of rows at a time.

    Plain reads rather than a memory map: pages of a map stay resident (and
    count in the process's memory) until it is closed, so a map of a file
    larger than memory is not a stream.
    """
    with open(file, "rb") as handle:
        shape, fortran_order, dtype = _npy_header(handle, file)
        if dtype.hasobject or len(shape) < 2 or not shape[0]:
            array = np.load(file, mmap_mode="r", allow_pickle=False)
            yield from _iter_array(array, file, batch_size, ndim)
            return
        if dtype.kind not in "biuf":
            raise ValueError(
                f"{file} must hold numbers; got an array of dtype {dtype}."
            )
        offset = handle.tell()
        row = int(np.prod(shape[1:]))
        for start in range(0, shape[0], batch_size):
            n = min(batch_size, shape[0] - start)
            if fortran_order:
                block = _fortran_rows(handle, offset, shape, dtype, start, n)
                if block is None:
                    raise _truncated(file, shape, start)
            else:
                handle.seek(offset + start * row * dtype.itemsize)
                block = np.fromfile(handle, dtype=dtype, count=n * row)
                if block.size != n * row:
                    raise _truncated(file, shape, start + block.size // row)
                block = block.reshape((n, *shape[1:]))
            yield from _iter_array(block, file, n, ndim, first_row=start)


def _npz_member(file, key):
    """Name of the ``.npy`` member ``np.load`` would read, or None if unsure."""
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return None  # np.load says what is wrong
    names = [m[:-4] if m.endswith(".npy") else m for m in members]
    if key is None:
        key = _default_key(names)
    member = f"{key}.npy"
    return member if member in members else None


def _npz_rows(handle, file, shape, dtype, batch_size, ndim):
    """Yield the C-ordered payload of an archive member, block by block."""
    for start in range(0, shape[0], batch_size):
        block = np.empty((min(batch_size, shape[0] - start), *shape[1:]), dtype)
        read = _fill(handle, block)
        if read != block.size:
            raise _truncated(file, shape, start + read // block[0].size)
        yield from _iter_array(block, file, len(block), ndim, first_row=start)


def _iter_npz(file, key, batch_size, ndim):
    """Stream a C-ordered numeric array of an archive (compressed or not).

    A zip member is read sequentially, so C order streams; Fortran-ordered,
    1D and non-numeric arrays are loaded whole (with ``np.load``'s errors).
    """
    member = _npz_member(file, key)
    if member is not None:
        try:
            with zipfile.ZipFile(file) as archive, archive.open(member) as handle:
                shape, fortran_order, dtype = _npy_header(handle, file)
                if dtype.kind in "biuf" and not fortran_order and len(shape) >= 2:
                    yield from _npz_rows(handle, file, shape, dtype, batch_size, ndim)
                    return
        except (zipfile.BadZipFile, EOFError, zlib.error) as err:
            raise ValueError(
                f"Cannot read array {member[:-4]!r} of {file}: {err}"
            ) from err
    yield from _iter_array(_load_npz(file, key), file, batch_size, ndim)


def _iter_hdf5(file, key, batch_size, ndim):
    h5py = import_optional("h5py", purpose="read HDF5 files")
    with h5py.File(file, "r") as handle:
        node = _hdf5_dataset(handle, h5py, file, key)
        yield from _iter_array(node, file, batch_size, ndim)


def iter_spectra(
    path: str | os.PathLike[str],
    batch_size: int = 1024,
    *,
    allow_nd: bool = False,
    orientation: Literal["infer", "rows", "columns"] = "infer",
) -> Iterator[np.ndarray]:
    """Read spectra from a file chunk by chunk, without loading it whole.

    The streaming counterpart of :func:`read_spectra`, for files larger than
    memory: ``.npy`` files (C or Fortran order) are read a block of rows at a
    time with plain file reads (no memory map, whose pages would stay
    resident), arrays of ``.npz`` archives (compressed or not) likewise,
    HDF5 datasets a slice at a time and text files a block of lines at a
    time; only Fortran-ordered ``.npz`` arrays are loaded whole. Memory use
    is then set by ``batch_size``, not by the size of the file. Every chunk
    is validated as :func:`read_spectra` validates the whole file, so an
    error (a bad value, with its line for text files) is raised when the
    chunk holding it is read.

    Parameters
    ----------
    path : str or path-like
        The file, as for :func:`read_spectra` (``"file.h5:/dataset"`` and
        ``"file.npz:NAME"`` included).
    batch_size : int, default=1024
        Spectra per chunk; the last chunk may be shorter.
    allow_nd : bool, default=False
        Allow 3D/4D arrays in binary files, as in :func:`read_spectra`.
    orientation : {"infer", "rows", "columns"}, default="infer"
        As for :func:`read_spectra`; the orientation and header of a text
        file are inferred from its first ``batch_size`` lines. Spectra in
        columns cannot be streamed: such a file is read whole.

    Yields
    ------
    X : ndarray of shape (n_chunk, n_points), float32
        The next ``batch_size`` spectra, in file order.

    Raises
    ------
    FileNotFoundError, ValueError, TypeError, ImportError
        As :func:`read_spectra` (checked when the first chunk is requested),
        and for a ``batch_size`` that is not an int >= 1.

    See Also
    --------
    read_spectra : Read the whole file at once.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> np.save(folder / "X.npy", np.arange(10.0).reshape(5, 2))
    >>> [chunk.shape for chunk in iter_spectra(folder / "X.npy", batch_size=2)]
    [(2, 2), (2, 2), (1, 2)]
    """
    batch_size = check_scalar("batch_size", batch_size, Interval(Integral, 1, None))
    check_choice("orientation", orientation, ORIENTATIONS)
    file, key, suffix = _check_path(path, SPECTRA_SUFFIXES, "spectra")
    ndim = (2, 3, 4) if allow_nd else (2,)
    if suffix in INSTRUMENT_SUFFIXES:
        yield from _iter_array(read_instrument_file(file)[0], file, batch_size, ndim)
    elif suffix in TEXT_SUFFIXES:
        yield from _iter_text(file, batch_size, orientation)
    elif suffix == ".npy":
        yield from _iter_npy(file, batch_size, ndim)
    elif suffix == ".npz":
        yield from _iter_npz(file, key, batch_size, ndim)
    else:
        yield from _iter_hdf5(file, key, batch_size, ndim)
