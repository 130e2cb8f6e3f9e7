"""What :meth:`OpenSetClassifier.fit` needs of a stream of batches.

A stream (a :class:`~specauth.datasets.HDF5Dataset`) trains the classifier
block by block; the detector is then fitted on the classifier's embedding
or logits of its rows, which are small. Detectors that keep the inputs
themselves (:class:`~specauth.ood.TemplateMatcher` would store every training
pattern in every rotation) or an ensemble's members are refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["labelled_stream", "check_stream_detector", "check_stream_classifier"]


def labelled_stream(stream: Any, y: Any) -> tuple[Any, np.ndarray]:
    """The stream with its labels, and the label of each of its rows.

    ``y`` None keeps the stream's labels; otherwise it holds one label per
    row of the stream's file.
    """
    needed = ("labels_", "rows_", "subset", "with_labels", "row_order")
    if not all(hasattr(stream, name) for name in needed):
        raise TypeError(
            "OpenSetClassifier.fit takes a stream of batches only as an "
            "HDF5Dataset (labels per row of its file, rows that can be split); "
            f"got {type(stream).__name__}."
        )
    if y is not None:
        stream = stream.with_labels(y)
    if stream.labels_ is None:
        raise ValueError(
            f"{stream!r} has no labels: give `labels=` to the HDF5Dataset (an "
            "array or the name of a label dataset), or pass `y`."
        )
    return stream, np.asarray(stream.labels_)[stream.rows_]


def check_stream_detector(detector: Any) -> None:
    """Refuse a detector that would hold the stream's inputs in memory."""
    kind = detector.input_kind
    if kind not in ("patterns", "members"):
        return
    name = type(detector).__name__
    if kind == "patterns":
        raise TypeError(
            f"{name} keeps every training pattern (in every rotation), so it is "
            "not fitted on a stream inside OpenSetClassifier: fit it on a few "
            "hundred chosen reference patterns on its own, then rank the stream "
            f"with `{name}(...).fit(references).score_samples(stream)`."
        )
    raise TypeError(
        f"{name} reads the members of an ensemble, which is not trained on a "
        "stream; use a detector of the embedding or logits (KNNDetector, "
        "Energy, ...)."
    )


def check_stream_classifier(classifier: Any) -> None:
    """Refuse a classifier that cannot train on a stream (only arrays)."""
    from specauth.estimators import CNNClassifier

    if not isinstance(classifier, CNNClassifier):
        raise TypeError(
            "OpenSetClassifier trains on a stream (an HDF5Dataset) only with a "
            "specauth network (CNNClassifier); `classifier` is "
            f"{type(classifier).__name__}, which reads arrays: load the data "
            "(`np.asarray(h5py.File(path)[name])`) or use a CNNClassifier."
        )
