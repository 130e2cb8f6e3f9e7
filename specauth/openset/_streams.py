"""What :meth:`OpenSetClassifier.fit` needs of a stream of batches.

A stream (a :class:`~specauth.datasets.HDF5Dataset`) trains the classifier
block by block; the detector is then fitted on the classifier's embedding
or logits of its rows, which are small. Detectors that keep the inputs
themselves (:class:`~specauth.ood.TemplateMatcher` would store every training
pattern in every rotation) or an ensemble's members are refused.
"""

from __future__ import annotations

from typing import Any

__all__ = ["check_stream_detector", "check_stream_classifier"]


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
