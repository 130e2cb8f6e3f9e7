"""Estimators keep the axis they were fitted on and check it at predict time."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from specauth.axis import SpectralAxis, estimator_axis, resample_spectra
from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier, PLSDAClassifier
from specauth.preprocessing import Crop, SpectrumNormalizer
from specauth.preprocessing.resample import AxisResampler

pd = pytest.importorskip("pandas")

DATA = make_spectra(n_classes=3, n_samples_per_class=12, length=64, random_state=0)
WAVENUMBERS = np.linspace(1800.0, 1000.0, 64)


def _frame(X, axis_values, name="wavenumber (cm-1)"):
    frame = pd.DataFrame(np.asarray(X), columns=axis_values)
    frame.columns.name = name
    return frame


@pytest.fixture(scope="module")
def fitted():
    clf = CNNClassifier("cnn1d_small", epochs=3, random_state=0)
    return clf.fit(_frame(DATA.X, WAVENUMBERS), DATA.y)


def test_dataframe_columns_give_the_axis(fitted):
    assert fitted.axis_.quantity == "wavenumber" and fitted.axis_.unit == "cm⁻¹"
    np.testing.assert_allclose(fitted.axis_.values, WAVENUMBERS)
    assert [float(v) for v in fitted.feature_names_in_] == list(WAVENUMBERS)
    assert estimator_axis(fitted) is fitted.axis_


def test_same_axis_or_array_predicts_the_same_without_warning(fitted):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        from_frame = fitted.predict_proba(_frame(DATA.X, WAVENUMBERS))
        from_array = fitted.predict_proba(DATA.X)
    np.testing.assert_allclose(from_frame, from_array, rtol=1e-6)


def test_other_axis_is_refused_with_a_clear_message(fitted):
    shifted = _frame(DATA.X, WAVENUMBERS + 3.0)
    with pytest.raises(ValueError, match=r"another axis.*AxisResampler"):
        fitted.predict(shifted)
    fewer = _frame(DATA.X[:, :60], WAVENUMBERS[:60])
    with pytest.raises(ValueError, match="60 points instead of 64"):
        fitted.predict(fewer)
    other_unit = _frame(DATA.X, WAVENUMBERS, name="wavelength (nm)")
    with pytest.raises(ValueError, match="quantity differs"):
        fitted.predict(other_unit)


def test_explicit_axis_parameter_for_arrays():
    axis = SpectralAxis(WAVENUMBERS, "wavenumber", "cm-1")
    clf = CNNClassifier("cnn1d_small", epochs=1, random_state=0, axis=axis)
    clf.fit(DATA.X, DATA.y)
    assert clf.axis_.same_as(axis)
    with pytest.raises(ValueError, match="another axis"):
        clf.predict(_frame(DATA.X, WAVENUMBERS[::-1]))
    bad = CNNClassifier("cnn1d_small", epochs=1, axis=WAVENUMBERS[:10])
    with pytest.raises(ValueError, match="`axis` has 10 values"):
        bad.fit(DATA.X, DATA.y)
    clash = CNNClassifier("cnn1d_small", epochs=1, axis=WAVENUMBERS + 1)
    with pytest.raises(ValueError, match="disagree with the `axis` parameter"):
        clash.fit(_frame(DATA.X, WAVENUMBERS), DATA.y)


def test_pls_da_keeps_the_axis_too():
    pls = PLSDAClassifier(n_components=3).fit(_frame(DATA.X, WAVENUMBERS), DATA.y)
    assert pls.axis_.same_as(SpectralAxis(WAVENUMBERS, "wavenumber"))
    with pytest.raises(ValueError, match="another axis"):
        pls.predict(_frame(DATA.X, WAVENUMBERS * 1.01))


def test_crop_in_axis_units_and_pipeline_axis():
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(
        Crop(1200, 1600), SpectrumNormalizer(), PLSDAClassifier(n_components=3)
    )
    pipe.fit(_frame(DATA.X, WAVENUMBERS), DATA.y)
    crop = pipe[0]
    expected = (WAVENUMBERS >= 1200) & (WAVENUMBERS <= 1600)
    np.testing.assert_array_equal(crop.support_, expected)
    assert crop.cropped_by_ == "axis" and "cm⁻¹" in crop.describe()
    final = estimator_axis(pipe, where="final")
    np.testing.assert_allclose(final.values, WAVENUMBERS[expected])
    assert final.label == "wavenumber (cm⁻¹)"
    assert estimator_axis(pipe).same_as(SpectralAxis(WAVENUMBERS))
    # without an axis the same numbers are indices, and say so
    by_index = Crop(2, 5).fit(DATA.X)
    assert by_index.cropped_by_ == "index" and "indices" in by_index.describe()


def test_resampler_prediction_matches_resampling_by_hand():
    """Spectra on another grid: resampled by the pipeline's AxisResampler
    give the prediction of the same spectra resampled by hand (np.interp)."""
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(AxisResampler(), PLSDAClassifier(n_components=3))
    pipe.fit(_frame(DATA.X, WAVENUMBERS), DATA.y)
    # the same spectra measured on a finer, increasing grid of another instrument
    fine = np.linspace(990.0, 1810.0, 150)
    order = np.argsort(WAVENUMBERS)
    X_fine = np.stack(
        [np.interp(fine, WAVENUMBERS[order], row[order]) for row in DATA.X]
    )
    by_pipeline = pipe.decision_function(_frame(X_fine, fine))
    by_hand = np.stack([np.interp(WAVENUMBERS, fine, row) for row in X_fine])
    np.testing.assert_allclose(
        by_pipeline, pipe[-1].decision_function(by_hand), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_array_equal(
        pipe.predict(_frame(X_fine, fine)), pipe[-1].predict(by_hand)
    )
    # a grid that does not cover the training axis is refused
    with pytest.raises(ValueError, match="reaches beyond"):
        pipe.predict(_frame(X_fine[:, 20:], fine[20:]))


def test_resampler_with_explicit_target_and_source():
    target = np.linspace(0.0, 10.0, 11)
    source = np.linspace(-1.0, 11.0, 25)
    X = np.vstack([source**2, np.sin(source)])
    out = AxisResampler(axis=target).fit(X, source=source).transform(X, source=source)
    expected = np.vstack([np.interp(target, source, row) for row in X])
    np.testing.assert_allclose(out, expected)
    np.testing.assert_allclose(resample_spectra(X, source, target), expected)
    cubic = resample_spectra(X, source, target, method="cubic")
    np.testing.assert_allclose(cubic[0], target**2, atol=0.05)
    with pytest.raises(ValueError, match="needs an axis"):
        AxisResampler().fit(X)
    with pytest.raises(ValueError, match="no axis"):
        AxisResampler(axis=target).fit(X, source=source).transform(X)


def test_open_set_classifier_keeps_and_checks_the_axis():
    from specauth.ood import MaxLogit
    from specauth.openset import OpenSetClassifier

    clf = OpenSetClassifier(
        CNNClassifier("cnn1d_small", epochs=2, random_state=0), MaxLogit(), cache=False
    )
    clf.fit(_frame(DATA.X, WAVENUMBERS), DATA.y)
    assert clf.axis_.quantity == "wavenumber"
    assert clf.classifier_.axis_.same_as(clf.axis_)
    np.testing.assert_array_equal(
        clf.predict(_frame(DATA.X, WAVENUMBERS)), clf.predict(DATA.X)
    )
    with pytest.raises(ValueError, match="another axis"):
        clf.predict(_frame(DATA.X, WAVENUMBERS + 5.0))


def test_pipeline_axis_found_after_steps_that_keep_the_points():
    """A first step without an axis (a normaliser) does not hide the axis a
    later step was given; a step that changes the points does."""
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(
        SpectrumNormalizer(),
        Crop(1200, 1600, axis=SpectralAxis(WAVENUMBERS, "wavenumber")),
        PLSDAClassifier(n_components=3),
    ).fit(DATA.X, DATA.y)
    np.testing.assert_allclose(estimator_axis(pipe).values, WAVENUMBERS)
    kept = (WAVENUMBERS >= 1200) & (WAVENUMBERS <= 1600)
    np.testing.assert_allclose(
        estimator_axis(pipe, where="final").values, WAVENUMBERS[kept]
    )
    hidden = make_pipeline(
        PCA(n_components=5),
        Crop(1, 3, axis=np.arange(5.0)),
        PLSDAClassifier(n_components=2),
    ).fit(DATA.X, DATA.y)
    assert estimator_axis(hidden) is None
