"""DIME against a truncated SVD computed with numpy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from specauth.ood import DIME


def _svd_reference(train, k):
    mean = train.mean(axis=0)
    _, s, vt = np.linalg.svd(train - mean, full_matrices=False)
    return mean, vt[:k], s**2 / (train.shape[0] - 1), vt


def _residual(Z, mean, components):
    d = Z - mean
    return d - d @ components.T @ components


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    train = rng.normal(size=(50, 6)) * [5.0, 3.0, 2.0, 0.5, 0.2, 0.1]
    test = rng.normal(size=(20, 6)) * 2.0
    return train, test


@pytest.mark.parametrize("k", [1, 2, 4])
def test_dime_matches_svd(data, k):
    train, test = data
    mean, components, variance, _ = _svd_reference(train, k)
    det = DIME(n_components=k).fit(train)
    expected = -np.linalg.norm(_residual(test, mean, components), axis=1)
    np.testing.assert_allclose(det.score_samples(test), expected, rtol=1e-9)
    np.testing.assert_allclose(det.mean_, mean)
    np.testing.assert_allclose(det.explained_variance_, variance[:k])
    # Same directions up to sign.
    np.testing.assert_allclose(np.abs(np.sum(det.components_ * components, 1)), 1.0)
    assert det.components_.shape == (k, 6) and det.n_components_ == k


def test_fraction_picks_smallest_k_explaining_it(data):
    train, _ = data
    _, _, variance, _ = _svd_reference(train, 6)
    ratio = np.cumsum(variance) / variance.sum()
    for fraction in (0.5, 0.9, 0.99):
        expected_k = int(np.argmax(ratio >= fraction)) + 1
        det = DIME(n_components=fraction).fit(train)
        assert det.n_components_ == expected_k
        np.testing.assert_allclose(
            det.explained_variance_ratio_.sum(), ratio[expected_k - 1]
        )


def test_fraction_one_keeps_a_residual(data):
    # A full-rank "hyperplane" would score every sample 0 (issue 14).
    train, test = data
    det = DIME(n_components=1.0).fit(train)
    assert det.n_components_ == 5
    assert np.all(det.score_samples(test) < 0)


def test_mahalanobis_variant_matches_formula(data):
    train, test = data
    k = 2
    mean, components, variance, _ = _svd_reference(train, k)
    residual_var = variance[k:].sum()
    noise_var = variance[k:].mean()  # probabilistic PCA: per discarded dimension
    t = (test - mean) @ components.T
    r2 = np.sum(_residual(test, mean, components) ** 2, axis=1)
    expected = -np.sqrt(np.sum(t**2 / variance[:k], axis=1) + r2 / noise_var)
    det = DIME(n_components=k, mahalanobis=True).fit(train)
    np.testing.assert_allclose(det.score_samples(test), expected, rtol=1e-9)
    assert det.residual_variance_ == pytest.approx(residual_var)
    assert det.noise_variance_ == pytest.approx(noise_var)


@pytest.mark.parametrize("mahalanobis", [False, True])
def test_batch_size_does_not_change_results(data, mahalanobis):
    train, test = data
    small = DIME(n_components=3, mahalanobis=mahalanobis, batch_size=7).fit(train)
    large = DIME(n_components=3, mahalanobis=mahalanobis, batch_size=1000).fit(train)
    np.testing.assert_allclose(small.score_samples(test), large.score_samples(test))
    np.testing.assert_allclose(small.calibration_scores_, large.calibration_scores_)
    assert small.threshold_ == pytest.approx(large.threshold_)


def test_n_components_must_leave_a_residual(data):
    with pytest.raises(ValueError, match=r"`n_components` must be <= 5.*got 6"):
        DIME(n_components=6).fit(data[0])
    with pytest.raises(ValueError, match=r"`n_components` must be <= 5.*got 7"):
        DIME(n_components=7).fit(data[0])


@pytest.mark.parametrize("bad", [0, -1, 1.5, 0.0])
def test_bad_n_components(data, bad):
    with pytest.raises(ValueError, match="`n_components`"):
        DIME(n_components=bad).fit(data[0])


def test_constant_features_do_not_fail():
    train = np.ones((10, 3))
    det = DIME(mahalanobis=True).fit(train)
    assert np.isfinite(det.calibration_scores_).all()
    assert det.score_samples([[1.0, 1.0, 1.0]])[0] == 0.0
    assert det.predict([[1.0, 1.0, 5.0]])[0] == -1


def test_n_components_is_capped_by_the_number_of_samples():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(10, 30))
    with pytest.warns(UserWarning, match="lowered from 20 to 8"):
        det = DIME(n_components=20).fit(train)
    assert det.n_components_ == 8
    assert np.all(det.score_samples(rng.normal(size=(5, 30))) < 0)


def test_mahalanobis_residual_is_not_swamped_by_the_plane():
    # Data on a 6-dim plane of a 40-dim space (small noise off it); outliers
    # sit on the plane's training cloud, moved off it. The residual term was
    # divided by its *total* mean square, the in-plane term by per-dimension
    # variances: AUROC fell from ~1 (plain DIME) to ~0.6.
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(40, 6)))[0].T
    scales = np.array([8.0, 6.0, 5.0, 4.0, 3.0, 2.0])

    def inliers(n):
        return (rng.normal(size=(n, 6)) * scales) @ basis + 0.3 * rng.normal(
            size=(n, 40)
        )

    train, test = inliers(400), inliers(300)
    off = rng.normal(size=(300, 40))
    off -= off @ basis.T @ basis
    off *= 4.0 / np.linalg.norm(off, axis=1, keepdims=True)  # 4 = 0.6 noise norms
    outliers = inliers(300) + off
    labels = np.r_[np.ones(300), np.zeros(300)]
    plain = DIME(n_components=6).fit(train)
    maha = DIME(n_components=6, mahalanobis=True).fit(train)
    auc_plain = roc_auc_score(labels, plain.score_samples(np.vstack([test, outliers])))
    auc_maha = roc_auc_score(labels, maha.score_samples(np.vstack([test, outliers])))
    assert auc_plain > 0.95
    assert auc_maha > auc_plain - 0.05
    # Against numpy: per-dimension residual variance as in probabilistic PCA.
    mean = train.mean(axis=0)
    _, s, vt = np.linalg.svd(train - mean, full_matrices=False)
    variance = s**2 / (train.shape[0] - 1)
    d = outliers - mean
    t = d @ vt[:6].T
    r2 = np.sum((d - t @ vt[:6]) ** 2, axis=1)
    expected = -np.sqrt(np.sum(t**2 / variance[:6], 1) + r2 / variance[6:].mean())
    np.testing.assert_allclose(maha.score_samples(outliers), expected, rtol=1e-8)


def test_state_saved_before_noise_variance_keeps_its_scores(data):
    # Saved by specauth < 0.2: the residual was scaled by residual_variance_,
    # and the saved threshold was set on those scores.
    train, test = data
    det = DIME(n_components=2, mahalanobis=True).fit(train)
    state = det.get_fitted_state()
    del state["noise_variance_"]
    old = DIME(n_components=2, mahalanobis=True).set_fitted_state(state)
    assert old.noise_variance_ == det.residual_variance_
    mean, components, variance, _ = _svd_reference(train, 2)
    t = (test - mean) @ components.T
    r2 = np.sum(_residual(test, mean, components) ** 2, axis=1)
    expected = -np.sqrt(np.sum(t**2 / variance[:2], 1) + r2 / variance[2:].sum())
    np.testing.assert_allclose(old.score_samples(test), expected, rtol=1e-9)


def _collapsed_embedding(rng, n_classes=8, per_class=40, width=48):
    """A trained classifier's embedding: tight classes around far-apart means.

    The class means span ``n_classes - 1`` directions and carry almost all
    the variance; the spread within a class is isotropic and small. The
    unknown spectra sit between the classes (on the plane of the means),
    moved off it by a few within-class standard deviations.
    """
    basis = np.linalg.qr(rng.normal(size=(width, width)))[0]
    means = rng.normal(size=(n_classes, n_classes - 1)) * 30.0
    means = means @ basis[:, : n_classes - 1].T
    y = np.repeat(np.arange(n_classes), per_class)
    train = means[y] + rng.normal(size=(y.size, width))
    test = means[y] + rng.normal(size=(y.size, width))
    mix = rng.dirichlet(np.ones(n_classes), size=60) @ means
    unknown = (
        mix
        + rng.normal(size=(60, width))
        + 1.5
        * rng.normal(size=(60, width))
        @ basis[:, n_classes - 1 :]
        @ basis[:, n_classes - 1 :].T
    )
    return train, y, test, unknown


def test_auto_components_keep_every_class_direction():
    # Reproduces DIME on PGAA (issue 14): with 95% of the variance the plane
    # missed some directions between the class means, the residual of known
    # samples was dominated by them, and no unknown sample was rejected.
    rng = np.random.default_rng(0)
    train, y, test, unknown = _collapsed_embedding(rng)
    old = DIME(n_components=0.95).fit(train, y)
    assert old.n_components_ < 7  # the variance rule misses class directions
    det = DIME().fit(train, y)
    assert det.n_components == "auto"
    assert det.n_components_ == 16  # 2 x 8 classes > the 95%-variance count
    rejected = np.mean(det.predict(unknown) == -1)
    assert rejected > 0.9
    assert np.mean(old.predict(unknown) == -1) < 0.5
    assert np.mean(det.predict(test) == 1) > 0.85


def test_auto_components_without_labels():
    rng = np.random.default_rng(1)
    train, y, _, _ = _collapsed_embedding(rng)
    expected = DIME(n_components=0.95).fit(train).n_components_
    assert DIME().fit(train).n_components_ == expected  # no classes known

    class Model:  # a fitted classifier: classes_ and its embedding
        classes_ = np.arange(8)

        def transform(self, X):
            return np.asarray(X)

    assert DIME(model=Model()).fit(train).n_components_ == 16


def test_auto_components_are_lowered_silently_to_what_the_data_support():
    rng = np.random.default_rng(2)
    train = rng.normal(size=(12, 30))
    y = np.arange(12) % 6  # 6 classes: 12 components asked, 10 supported
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        det = DIME().fit(train, y)
    assert det.n_components_ == 10


def test_labels_must_match_the_training_samples():
    with pytest.raises(ValueError, match=r"`y` must hold one label per training"):
        DIME().fit(np.zeros((10, 4)) + np.arange(10)[:, None], np.arange(9))
