"""Tests of specauth.datasets.make_spectra (synthetic peak spectra)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

from specauth.datasets import make_spectra

NOISELESS = dict(
    counts=None,
    background=False,
    peak_shift=0.0,
    width_jitter=0.0,
    intensity_jitter=0.0,
    shuffle=False,
)


def voigt_reference(x, center, fwhm, eta):
    """Pseudo-Voigt of unit height written independently of the package."""
    half = fwhm / 2.0
    lorentz = half**2 / ((x - center) ** 2 + half**2)
    sigma = fwhm / (2.0 * np.sqrt(2.0 * np.log(2.0)))
    gauss = np.exp(-((x - center) ** 2) / (2.0 * sigma**2))
    return eta * lorentz + (1.0 - eta) * gauss


def held_out_accuracy(model, X, y):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, random_state=0, stratify=y
    )
    return model.fit(X_train, y_train).score(X_test, y_test)


def test_shapes_labels_and_dtypes():
    data = make_spectra(4, 7, length=300, n_unknown_classes=2, random_state=0)
    assert data.X.shape == (28, 300) and data.X.dtype == np.float32
    assert data.X_unknown.shape == (14, 300) and data.X_unknown.dtype == np.float32
    assert (data.X >= 0).all() and (data.X_unknown >= 0).all()
    assert sorted(set(data.y.tolist())) == ["phase_0", "phase_1", "phase_2", "phase_3"]
    assert set(data.y_unknown.tolist()) == {"phase_4", "phase_5"}
    assert data.target_names.tolist() == ["phase_0", "phase_1", "phase_2", "phase_3"]
    assert all((data.y == name).sum() == 7 for name in data.target_names)
    np.testing.assert_array_equal(data.positions, np.arange(300))
    assert sorted(data.peaks) == [f"phase_{i}" for i in range(6)]


def test_no_unknown_classes_gives_empty_arrays():
    data = make_spectra(2, 3, length=64, random_state=0)
    assert data.X_unknown.shape == (0, 64) and data.y_unknown.shape == (0,)


def test_same_seed_same_output_different_seed_different():
    a = make_spectra(3, 5, length=200, n_unknown_classes=1, random_state=7)
    b = make_spectra(3, 5, length=200, n_unknown_classes=1, random_state=7)
    c = make_spectra(3, 5, length=200, n_unknown_classes=1, random_state=8)
    for key in ("X", "y", "X_unknown", "y_unknown"):
        np.testing.assert_array_equal(a[key], b[key])
    for name in a.peaks:
        np.testing.assert_array_equal(a.peaks[name], b.peaks[name])
    assert not np.array_equal(a.X, c.X)
    assert not np.array_equal(a.peaks["phase_0"], c.peaks["phase_0"])


def test_random_state_objects_are_accepted():
    rng = np.random.RandomState(3)
    first = make_spectra(2, 3, length=64, random_state=rng)
    second = make_spectra(2, 3, length=64, random_state=rng)
    assert not np.array_equal(first.X, second.X)  # the RandomState advanced
    gen = make_spectra(2, 3, length=64, random_state=np.random.default_rng(1))
    assert gen.X.shape == (6, 64)


def test_adding_unknown_classes_keeps_the_known_ones():
    base = make_spectra(3, 6, length=256, random_state=5)
    more = make_spectra(3, 6, length=256, n_unknown_classes=2, random_state=5)
    np.testing.assert_array_equal(base.X, more.X)
    np.testing.assert_array_equal(base.y, more.y)
    for name in base.peaks:
        np.testing.assert_array_equal(base.peaks[name], more.peaks[name])


def test_noiseless_spectra_match_an_independent_peak_sum():
    eta = 0.3
    data = make_spectra(3, 2, length=256, eta=eta, random_state=1, **NOISELESS)
    x = np.arange(256.0)
    for name in data.target_names:
        expected = sum(
            height * voigt_reference(x, center, fwhm, eta)
            for center, fwhm, height in data.peaks[name]
        )
        for spectrum in data.X[data.y == name]:
            np.testing.assert_allclose(spectrum, expected, rtol=1e-5, atol=1e-6)


def test_peak_table_describes_real_maxima():
    data = make_spectra(2, 1, length=512, random_state=2, **NOISELESS)
    table = data.peaks["phase_0"]
    assert table.shape[1] == 3 and np.all(np.diff(table[:, 0]) > 0)  # sorted
    spectrum = data.X[data.y == "phase_0"][0]
    for center, fwhm, height in table:
        near = int(round(center))
        assert spectrum[near] >= height * 0.9  # the peak is where the table says
        window = spectrum[max(near - 2, 0) : near + 3]
        assert abs(np.argmax(window) + max(near - 2, 0) - center) <= 1.0
        assert 512 / 256 - 1e-9 <= fwhm <= 512 / 96 + 1e-9  # default fwhm range


def test_shared_and_discriminating_peaks():
    data = make_spectra(
        3, 20, length=512, shared_peaks=4, n_peaks=1, random_state=3, **NOISELESS
    )
    shared = [data.peaks[n][~data.discriminating[n]] for n in data.target_names]
    own = [data.peaks[n][data.discriminating[n]] for n in data.target_names]
    for table in shared[1:]:
        np.testing.assert_array_equal(table, shared[0])  # identical in all classes
    assert all(len(table) == 1 for table in own)
    centers = np.array([table[0, 0] for table in own])
    assert len(np.unique(np.round(centers))) == 3
    # The spectra of two classes differ only around their own peaks.
    a = data.X[data.y == "phase_0"].mean(0)
    b = data.X[data.y == "phase_1"].mean(0)
    assert abs(int(np.argmax(np.abs(a - b))) - centers[[0, 1]]).min() <= 1


def test_poisson_counts():
    data = make_spectra(2, 30, length=256, counts=5000, random_state=4)
    np.testing.assert_array_equal(data.X, np.round(data.X))  # integer counts
    totals = data.X.sum(axis=1)
    assert abs(totals.mean() - 5000) < 3 * np.sqrt(5000 / 60) + 5
    assert totals.std() > 0  # noisy


def test_jitter_makes_samples_differ_and_none_makes_them_equal():
    still = make_spectra(1, 4, length=128, random_state=0, **NOISELESS)
    np.testing.assert_array_equal(still.X, np.broadcast_to(still.X[0], still.X.shape))
    noisy = make_spectra(1, 4, length=128, random_state=0)
    assert not np.array_equal(noisy.X[0], noisy.X[1])


def test_n_peaks_int_and_range():
    exact = make_spectra(4, 1, length=512, n_peaks=2, random_state=0)
    assert all(len(table) == 2 for table in exact.peaks.values())
    ranged = make_spectra(6, 1, length=1024, n_peaks=(2, 4), random_state=0)
    assert all(2 <= len(table) <= 4 for table in ranged.peaks.values())


def test_default_classes_are_learnable():
    data = make_spectra(5, 30, length=512, random_state=0)
    X = np.log1p(data.X)
    assert held_out_accuracy(LogisticRegression(max_iter=500), X, data.y) >= 0.95


def test_hard_setting_is_learnable_but_not_trivial():
    data = make_spectra(
        5,
        40,
        length=512,
        shared_peaks=4,
        n_peaks=1,
        counts=300,
        intensity_jitter=0.5,
        random_state=1,
    )
    accuracy = held_out_accuracy(
        LogisticRegression(max_iter=1000), np.log1p(data.X), data.y
    )
    assert accuracy >= 0.8
    # Simple summaries of a spectrum do not identify the class.
    total = data.X.sum(axis=1, keepdims=True)
    top = np.argmax(data.X, axis=1)[:, None].astype(float)
    for feature in (total, top):
        trivial = held_out_accuracy(KNeighborsClassifier(5), feature, data.y)
        assert trivial <= accuracy - 0.2


def test_background_raises_the_baseline():
    flat = make_spectra(1, 3, length=256, background=False, counts=None, random_state=0)
    sloped = make_spectra(
        1, 3, length=256, background=True, counts=None, random_state=0
    )
    assert (sloped.X - flat.X).min() > 0
    assert (sloped.X - flat.X)[:, 0].mean() > (sloped.X - flat.X)[:, -1].mean()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"n_classes": 0},
            ValueError,
            r"`n_classes` must be an int in \[1, inf\); got 0",
        ),
        ({"n_classes": 2.5}, TypeError, "`n_classes` must be an int"),
        ({"n_samples_per_class": 0}, ValueError, "`n_samples_per_class`"),
        ({"eta": 1.5}, ValueError, r"`eta` must be a number in \[0, 1\]; got 1.5"),
        (
            {"n_peaks": (5, 2)},
            ValueError,
            r"`n_peaks` must be .* a pair \(low, high\) with low <= high.*got \(5, 2\)",
        ),
        (
            {"n_peaks": (1, 2, 3)},
            ValueError,
            r"`n_peaks` must be an int in \[1, inf\) or a pair",
        ),
        (
            {"counts": -1.0},
            ValueError,
            r"`counts` must be a number in \(0, inf\) or None; got -1.0",
        ),
        (
            {"fwhm": (0.0, 2.0)},
            ValueError,
            r"`fwhm` must be a number in \(0, inf\) or a pair",
        ),
        (
            {"random_state": "seed"},
            TypeError,
            r"`random_state` must be an int in \[0, inf\), a numpy RandomState",
        ),
        ({"peak_shift": "a lot"}, TypeError, "`peak_shift` must be a number"),
        ({"length": 64, "n_peaks": 30}, ValueError, "too few for class 0"),
    ],
)
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_spectra(**{"n_samples_per_class": 2, **kwargs})
