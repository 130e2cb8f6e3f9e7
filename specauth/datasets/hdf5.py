"""Stream spectra or diffraction patterns from an HDF5 dataset, block by block.

This module imports Keras (``HDF5Dataset`` is a ``keras.utils.PyDataset``);
:mod:`specauth.datasets` exports it lazily.

:class:`HDF5Dataset` is a Keras ``PyDataset`` over one dataset of an HDF5
file (e.g. ``patterns`` of shape (30000, 260, 257)): batches are cut from
blocks of consecutive rows, each block read with one sequential read, so the
memory used is one block whatever the size of the file, and shuffling
shuffles the order of the blocks and the rows inside a block (not single
rows across the whole file, which would turn every read into a seek).
"""

from __future__ import annotations

import math
import os
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from .._lazy import import_optional
from .._validation import Interval, check_scalar
from .files import _hdf5_datasets

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["HDF5Dataset", "BLOCK_BYTES"]

#: Bytes of patterns read at once (one block): 32 MiB.
BLOCK_BYTES = 32 * 2**20


def _open(path, h5py):
    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise ValueError(
            f"Cannot open {path} as an HDF5 file ({err}); it may be truncated or "
            "not an HDF5 file."
        ) from err


def _node(handle, h5py, path, name, what):
    node = handle.get(name)
    if not isinstance(node, h5py.Dataset):
        raise ValueError(
            f"{path} has no dataset {name!r} ({what}); its datasets are "
            f"{_hdf5_datasets(handle, h5py)}."
        )
    return node


class HDF5Dataset(keras.utils.PyDataset):
    """Batches of one HDF5 dataset, read a block of rows at a time.

    A Keras ``PyDataset`` (``len()`` batches, ``dataset[i]`` is batch ``i``):
    pass it to ``keras.Model.fit`` / ``predict``, or iterate over it. The
    file is opened on first use in each process (h5py handles are not shared
    between processes) and read-only.

    Parameters
    ----------
    path : str or path-like
        The HDF5 file.
    dataset : str, default="patterns"
        Name of the dataset of samples: shape (n, ...) -- spectra (n, length)
        or patterns (n, height, width).
    labels : array-like, str or None, default=None
        One label per row of ``dataset`` (before ``indices``): an array, or
        the name of a 1D dataset of the same file (``"labels"``). With labels
        a batch is ``(x, y)``; without, ``(x,)``.
    indices : array-like of int or bool, default=None
        The rows to use (a boolean mask or row numbers, any order; they are
        read in increasing order). None: every row.
    batch_size : int, default=32
        Samples per batch; a batch never spans two blocks, so the last batch
        of each block may be shorter.
    shuffle : bool, default=False
        Shuffle the blocks and the rows within each block every epoch.
    random_state : int or None, default=None
        Seed of the shuffling.
    block_bytes : int, default=BLOCK_BYTES
        Bytes read at once; rounded to whole batches and, for chunked
        datasets, to the chunk rows.
    add_channel : bool or None, default=None
        Append a channel axis of size 1 (spectra (n, length) -> (n, length, 1),
        patterns (n, h, w) -> (n, h, w, 1)). None: when samples are 1D or 2D.
    dtype : str, default="float32"
        Dtype of the batches.
    workers, use_multiprocessing, max_queue_size
        As for ``keras.utils.PyDataset``.

    Attributes
    ----------
    n_samples : int
        Rows used.
    sample_shape : tuple of int
        Shape of one sample as batches give it (channel axis included).
    reads : list of tuple of int
        ``(start, stop)`` of every read of the file so far, by this dataset
        and the copies made from it (for checks).

    Examples
    --------
    >>> import tempfile, os
    >>> import h5py, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "patterns.h5")
    >>> with h5py.File(path, "w") as f:
    ...     f["patterns"] = np.arange(10 * 4 * 4, dtype="float32").reshape(10, 4, 4)
    ...     f["labels"] = np.array([b"a", b"b"] * 5)
    >>> data = HDF5Dataset(path, labels="labels", batch_size=4)
    >>> len(data), data.sample_shape
    (3, (4, 4, 1))
    >>> x, y = data[0]
    >>> x.shape, y.tolist()
    ((4, 4, 4, 1), ['a', 'b', 'a', 'b'])
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        dataset: str = "patterns",
        *,
        labels: ArrayLike | str | None = None,
        indices: ArrayLike | None = None,
        batch_size: int = 32,
        shuffle: bool = False,
        random_state: int | None = None,
        block_bytes: int = BLOCK_BYTES,
        add_channel: bool | None = None,
        dtype: str = "float32",
        workers: int = 1,
        use_multiprocessing: bool = False,
        max_queue_size: int = 10,
    ) -> None:
        super().__init__(
            workers=workers,
            use_multiprocessing=use_multiprocessing,
            max_queue_size=max_queue_size,
        )
        self.path = Path(os.fspath(path))
        self.dataset = dataset
        self.batch_size = check_scalar(
            "batch_size", batch_size, Interval(Integral, 1, None)
        )
        self.block_bytes = check_scalar(
            "block_bytes", block_bytes, Interval(Integral, 1, None)
        )
        self.shuffle = bool(shuffle)
        self.random_state = random_state
        self.dtype = np.dtype(dtype)
        if not self.path.is_file():
            raise FileNotFoundError(f"No such HDF5 file: {self.path}")
        h5py = import_optional("h5py", purpose="stream HDF5 files")
        with _open(self.path, h5py) as handle:
            node = _node(handle, h5py, self.path, dataset, "the samples")
            shape, chunks = tuple(node.shape), node.chunks
            if len(shape) < 2 or node.dtype.kind not in "biuf":
                raise ValueError(
                    f"Dataset {dataset!r} of {self.path} must hold numeric samples "
                    f"of shape (n, ...) with n samples; got shape {shape} and "
                    f"dtype {node.dtype}."
                )
            self.labels_ = self._labels(handle, h5py, labels, shape[0])
        self.n_rows = shape[0]
        self.rows_ = self._rows(indices, shape[0])
        if add_channel is None:
            add_channel = len(shape) in (2, 3)
        self.add_channel = bool(add_channel)
        self.sample_shape = tuple(shape[1:]) + ((1,) if self.add_channel else ())
        row_bytes = int(np.prod(shape[1:])) * max(self.dtype.itemsize, 4)
        self.block_rows = self._block_rows(row_bytes, chunks)
        self.reads: list[tuple[int, int]] = []
        self._handle = None
        self._node = None
        self._cache: tuple[int, np.ndarray] | None = None
        self._epoch = 0
        self._layout = self._make_layout()

    # ---------------------------------------------------------------- setup
    def _labels(self, handle, h5py, labels, n_rows):
        if labels is None:
            return None
        if isinstance(labels, str):
            node = _node(handle, h5py, self.path, labels, "the labels")
            values = node[()]
        else:
            values = np.asarray(labels)
        if values.dtype.kind == "S":
            values = values.astype(str)
        if values.ndim != 1 or values.shape[0] != n_rows:
            raise ValueError(
                f"`labels` must hold one label per row of dataset {self.dataset!r} "
                f"({n_rows} rows); got shape {values.shape}."
            )
        return values

    def _rows(self, indices, n_rows):
        if indices is None:
            return np.arange(n_rows)
        arr = np.asarray(indices)
        if arr.dtype == bool:
            if arr.shape != (n_rows,):
                raise ValueError(
                    f"A boolean `indices` must have one entry per row ({n_rows}); "
                    f"got shape {arr.shape}."
                )
            return np.flatnonzero(arr)
        if arr.ndim != 1 or arr.dtype.kind not in "iu":
            raise ValueError("`indices` must be a 1D array of row numbers or a mask.")
        if arr.size and (arr.min() < 0 or arr.max() >= n_rows):
            raise ValueError(
                f"`indices` must lie in 0..{n_rows - 1} (the rows of dataset "
                f"{self.dataset!r}); got {arr.min()}..{arr.max()}."
            )
        rows = np.unique(arr)
        if rows.size != arr.size:
            raise ValueError("`indices` holds repeated rows; give each row once.")
        return rows

    def _block_rows(self, row_bytes, chunks):
        rows = max(self.batch_size, self.block_bytes // max(row_bytes, 1))
        rows = max(self.batch_size, rows // self.batch_size * self.batch_size)
        if chunks is not None and chunks[0] > 1 and rows > chunks[0]:
            rows = max(chunks[0], rows // chunks[0] * chunks[0])
        return int(rows)

    def _make_layout(self):
        """``[(block_index, positions within the block)]``, one per batch."""
        n_blocks = (
            math.ceil(self.rows_.size / self.block_rows) if self.rows_.size else 0
        )
        order = np.arange(n_blocks)
        rng = None
        if self.shuffle:
            seed = (
                None if self.random_state is None else self.random_state + self._epoch
            )
            rng = np.random.default_rng(seed)
            rng.shuffle(order)
        layout = []
        for block in order.tolist():
            size = min(self.block_rows, self.rows_.size - block * self.block_rows)
            positions = np.arange(size)
            if rng is not None:
                rng.shuffle(positions)
            for start in range(0, size, self.batch_size):
                layout.append((block, positions[start : start + self.batch_size]))
        return layout

    # ------------------------------------------------------------- reading
    @property
    def n_samples(self) -> int:
        """Rows used (after ``indices``)."""
        return int(self.rows_.size)

    @property
    def num_batches(self) -> int:
        """Batches per epoch (``len(dataset)``)."""
        return len(self._layout)

    def __len__(self) -> int:
        return len(self._layout)

    def _file(self):
        if self._node is None:
            h5py = import_optional("h5py", purpose="stream HDF5 files")
            self._handle = _open(self.path, h5py)
            self._node = _node(self._handle, h5py, self.path, self.dataset, "samples")
        return self._node

    def _block(self, block):
        if self._cache is not None and self._cache[0] == block:
            return self._cache[1]
        rows = self.rows_[block * self.block_rows : (block + 1) * self.block_rows]
        start, stop = int(rows[0]), int(rows[-1]) + 1
        sparse = stop - start > 2 * rows.size  # few rows of a long range
        try:
            if sparse:
                data = self._file()[rows.tolist()]
            elif stop - start == rows.size:  # consecutive rows: one read, no copy
                data = self._file()[start:stop]
            else:
                data = self._file()[start:stop][rows - start]
        except (OSError, RuntimeError) as err:
            raise ValueError(
                f"Cannot read rows {start}..{stop - 1} of dataset {self.dataset!r} "
                f"of {self.path} ({err}); the file may be truncated."
            ) from err
        self.reads.append((start, stop) if not sparse else (start, start + rows.size))
        data = np.asarray(data, dtype=self.dtype)
        if self.add_channel:
            data = data[..., np.newaxis]
        self._cache = (block, data)
        return data

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        if not 0 <= index < len(self._layout):
            raise IndexError(f"batch {index} out of range 0..{len(self._layout) - 1}")
        block, positions = self._layout[index]
        x = self._block(block)[positions]
        if not np.isfinite(x).all():
            raise ValueError(
                f"Dataset {self.dataset!r} of {self.path} holds NaN or infinity in "
                f"the rows of batch {index}."
            )
        if self.labels_ is None:
            return (x,)
        rows = self.rows_[block * self.block_rows + positions]
        return x, self.labels_[rows]

    def row_order(self) -> np.ndarray:
        """The rows of the file in the order this epoch's batches give them."""
        return (
            np.concatenate(
                [self.rows_[b * self.block_rows + p] for b, p in self._layout]
            )
            if self._layout
            else np.empty(0, dtype=int)
        )

    def on_epoch_end(self) -> None:
        """Reshuffle (with ``shuffle``) for the next epoch."""
        self._epoch += 1
        if self.shuffle:
            self._layout = self._make_layout()
            self._cache = None

    def _copy(self) -> HDF5Dataset:
        """A shallow copy with no open file; reads are recorded in one list."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._handle = copy._node = copy._cache = None
        return copy

    def with_labels(self, labels: ArrayLike) -> HDF5Dataset:
        """A copy of this dataset giving ``labels`` as targets.

        One label per row of the file, or one row of targets per row (shape
        ``(n_rows, n_targets)``, a regressor's several targets).
        """
        copy = self._copy()
        values = np.asarray(labels)
        if values.ndim not in (1, 2) or values.shape[0] != self.n_rows:
            raise ValueError(
                f"`labels` must hold one label (or one row of targets) per row "
                f"({self.n_rows}); got shape {values.shape}."
            )
        copy.labels_ = values
        return copy

    def subset(self, rows: ArrayLike, *, shuffle: bool | None = None) -> HDF5Dataset:
        """A copy of this dataset over ``rows`` of the file (row numbers).

        ``shuffle`` None keeps this dataset's setting.
        """
        copy = self._copy()
        copy.rows_ = self._rows(np.asarray(rows), self.n_rows)
        if shuffle is not None:
            copy.shuffle = bool(shuffle)
        copy._epoch = 0
        copy._layout = copy._make_layout()
        return copy

    def close(self) -> None:
        """Close the file (reopened on the next read)."""
        if self._handle is not None:
            self._handle.close()
        self._handle = self._node = self._cache = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_handle"] = state["_node"] = state["_cache"] = None
        return state

    def __repr__(self) -> str:
        return (
            f"HDF5Dataset({str(self.path)!r}, {self.dataset!r}, {self.n_samples} "
            f"samples of shape {self.sample_shape}, batch_size={self.batch_size})"
        )
