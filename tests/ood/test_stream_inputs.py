"""Detectors with ``model=`` take a stream of batches (HDF5Dataset) as they
take arrays: the model reads it batch by batch."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.ood import Energy, KNNDetector

h5py = pytest.importorskip("h5py")


def test_detectors_score_a_stream_as_the_array(tmp_path):
    from specauth.datasets.hdf5 import HDF5Dataset

    data = make_spectra(n_classes=3, n_samples_per_class=15, length=48, random_state=1)
    with h5py.File(tmp_path / "x.h5", "w") as f:
        f["spectra"] = data.X
    stream = HDF5Dataset(tmp_path / "x.h5", "spectra", batch_size=8)
    clf = CNNClassifier("cnn1d_small", epochs=2, random_state=0).fit(data.X, data.y)
    for detector in (KNNDetector(model=clf), Energy(model=clf)):
        from_stream = detector.fit(stream).score_samples(stream)
        from_array = detector.fit(data.X).score_samples(data.X)
        np.testing.assert_allclose(from_stream, from_array, rtol=1e-5, atol=1e-6)
