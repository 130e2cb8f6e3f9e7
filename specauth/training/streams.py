"""Training data that does not fit in memory: Keras ``PyDataset`` streams.

The training loop (:func:`specauth.training.loop.fit_network`) and the
estimators take a ``keras.utils.PyDataset`` (such as
:class:`specauth.datasets.HDF5Dataset`) where they take arrays; the few steps
that need the data at once -- setting a ``Normalization`` layer, recomputing
BatchNorm statistics, the learning-rate finder -- use a sample of batches
spread over the stream (:func:`stream_sample`), so memory never grows with
the number of samples.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from specauth._lazy import import_keras

__all__ = [
    "is_stream",
    "stream_size",
    "stream_sample",
    "split_stream",
    "labelled_stream",
    "MAX_SAMPLE",
    "SAMPLE_BYTES",
]

#: Samples a stream contributes to statistics (normalisation, BatchNorm) ...
MAX_SAMPLE = 2048
#: ... and the most bytes they may take (large patterns give fewer samples).
SAMPLE_BYTES = 32 * 2**20


def is_stream(x: Any) -> bool:
    """Whether ``x`` is a ``keras.utils.PyDataset`` (batches read on demand)."""
    if isinstance(x, (np.ndarray, list, tuple)) or x is None:
        return False
    if "keras" not in sys.modules:  # no PyDataset can exist: keep Keras unloaded
        return False
    return isinstance(x, import_keras().utils.PyDataset)


def stream_size(x: Any) -> int:
    """Samples per epoch of a stream: its ``n_samples``, else counted."""
    size = getattr(x, "n_samples", None)
    if size is not None:
        return int(size)
    return int(sum(len(_inputs(x[i])) for i in range(len(x))))


def _inputs(batch):
    return batch[0] if isinstance(batch, tuple) else batch


def stream_sample(
    x: Any, max_samples: int = MAX_SAMPLE, max_bytes: int = SAMPLE_BYTES
) -> tuple[np.ndarray, np.ndarray | None]:
    """Up to ``max_samples`` inputs (and targets) from batches spread over ``x``.

    Batches are taken at evenly spaced positions of the stream (the first,
    the last, and between), whole, until ``max_samples`` samples, or
    ``max_bytes`` of inputs (at least one batch), are gathered.

    Returns
    -------
    x_sample : ndarray
    y_sample : ndarray or None
        The batches' targets, when they have some.
    """
    n_batches = len(x)
    if n_batches == 0:
        raise ValueError(f"{x!r} holds no batches.")
    first = x[0]
    per_batch = max(len(_inputs(first)), 1)
    sample_bytes = max(np.asarray(_inputs(first))[:1].nbytes, 1)
    max_samples = max(min(max_samples, max_bytes // sample_bytes), per_batch)
    wanted = min(n_batches, max(1, -(-max_samples // per_batch)))
    positions = np.unique(np.linspace(0, n_batches - 1, wanted).round().astype(int))
    xs, ys = [], []
    for position in positions.tolist():
        batch = first if position == 0 else x[position]
        xs.append(np.asarray(_inputs(batch)))
        if isinstance(batch, tuple) and len(batch) > 1:
            ys.append(np.asarray(batch[1]))
    x_sample = np.concatenate(xs)[:max_samples]
    y_sample = np.concatenate(ys)[:max_samples] if ys else None
    return x_sample, y_sample


def split_stream(
    x: Any, targets: np.ndarray, fraction: float, *, seed: int | None = None
) -> tuple[tuple[Any, np.ndarray], tuple[Any, np.ndarray]]:
    """Hold out a stratified ``fraction`` of a stream's rows for validation.

    The stream must be able to make subsets of its rows (``rows_`` and
    ``subset(rows)``, as :class:`specauth.datasets.HDF5Dataset`); ``targets``
    holds the class of each of its rows, in the order of ``rows_``.
    """
    if not hasattr(x, "subset") or not hasattr(x, "rows_"):
        raise ValueError(
            f"`validation_fraction` needs a stream whose rows can be split (an "
            f"HDF5Dataset); got {type(x).__name__}. Pass a separate validation "
            "stream through fit__validation_data instead."
        )
    from sklearn.model_selection import train_test_split

    positions = np.arange(len(x.rows_))
    try:
        train, valid = train_test_split(
            positions, test_size=fraction, random_state=seed, stratify=targets
        )
    except ValueError as err:
        raise ValueError(
            f"`validation_fraction={fraction}` cannot hold out a stratified "
            f"validation set from {len(positions)} samples: {err}"
        ) from err
    train, valid = np.sort(train), np.sort(valid)
    return (
        (x.subset(x.rows_[train]), targets[train]),
        (x.subset(x.rows_[valid], shuffle=False), targets[valid]),
    )


def labelled_stream(
    stream: Any,
    y: Any,
    *,
    owner: str,
    what: str = "labels",
    needed: tuple[str, ...] = ("labels_", "rows_", "with_labels"),
) -> tuple[Any, np.ndarray]:
    """The stream with its labels (or ``y``), and the label of each of its rows.

    ``y`` None keeps the stream's labels; otherwise it holds one label (or
    row of targets) per row of the stream's file. ``owner`` (e.g.
    ``"CNNClassifier.fit"``) and ``what`` ("labels", "targets") name them in
    the messages; ``needed`` are the attributes the caller uses.
    """
    if not all(hasattr(stream, name) for name in needed):
        raise TypeError(
            f"{owner} takes a stream of batches only as an HDF5Dataset ({what} "
            f"per row of its file); got {type(stream).__name__}."
        )
    if y is not None:
        stream = stream.with_labels(y)
    if stream.labels_ is None:
        raise ValueError(
            f"{stream!r} has no {what}: give `labels=` to the HDF5Dataset (an "
            f"array or the name of a dataset of {what}), or pass `y`."
        )
    return stream, np.asarray(stream.labels_)[stream.rows_]
