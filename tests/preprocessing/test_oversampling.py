"""AugmentingOverSampler: perturbed copies of minority-class spectra."""

import subprocess
import sys

import numpy as np
import pytest
from imblearn.pipeline import make_pipeline
from imblearn.utils.estimator_checks import estimator_checks_generator
from sklearn.linear_model import LogisticRegression

from specauth.preprocessing import AugmentingOverSampler, augmentation_preset

_OFF = {"preset": None}  # every perturbation off unless given


def _data(counts=(12, 5, 3), length=48, seed=0, labels=("quartz", "calcite", "gyps")):
    """Three classes of one-peak spectra, imbalanced."""
    rng = np.random.default_rng(seed)
    grid = np.arange(length)
    X, y = [], []
    for k, (label, n) in enumerate(zip(labels, counts, strict=True)):
        centre = 10 + 12 * k
        peaks = np.exp(-((grid - centre - rng.normal(0, 1, (n, 1))) ** 2) / 6.0)
        X.append(10.0 + 50.0 * peaks + rng.normal(0, 0.5, (n, length)))
        y += [label] * n
    return np.concatenate(X), np.array(y)


def _counts(y):
    labels, counts = np.unique(y, return_counts=True)
    return dict(zip(labels.tolist(), counts.tolist(), strict=True))


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("auto", {"quartz": 12, "calcite": 12, "gyps": 12}),
        ("not majority", {"quartz": 12, "calcite": 12, "gyps": 12}),
        ("minority", {"quartz": 12, "calcite": 5, "gyps": 12}),
        ({"calcite": 7, "gyps": 10}, {"quartz": 12, "calcite": 7, "gyps": 10}),
        ({"gyps": 3}, {"quartz": 12, "calcite": 5, "gyps": 3}),
    ],
)
def test_class_counts_follow_the_strategy(strategy, expected):
    X, y = _data()
    X_res, y_res = AugmentingOverSampler(
        sampling_strategy=strategy, random_state=0
    ).fit_resample(X, y)
    assert _counts(y_res) == expected
    assert X_res.shape == (sum(expected.values()), X.shape[1])


def test_originals_come_first_unchanged_and_inputs_are_untouched():
    X, y = _data()
    X_copy, y_copy = X.copy(), y.copy()
    sampler = AugmentingOverSampler(random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    np.testing.assert_array_equal(X_res[: len(X)], X)
    np.testing.assert_array_equal(y_res[: len(y)], y)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    assert not np.shares_memory(X_res, X)
    assert not any(np.allclose(row, X, atol=1e-6) for row in X_res[len(X) :])
    np.testing.assert_array_equal(y_res, y[sampler.sample_indices_])


def test_with_only_offset_each_new_spectrum_is_a_same_class_original_plus_a_constant():
    X, y = _data()
    X_res, y_res = AugmentingOverSampler(
        **_OFF, offset=0.5, random_state=0
    ).fit_resample(X, y)
    for row, label in zip(X_res[len(X) :], y_res[len(y) :], strict=True):
        differences = row - X[y == label]
        constant = np.ptp(differences, axis=1) < 1e-9
        assert constant.any()
        assert np.abs(differences[constant, 0]).max() > 1e-6  # a real offset


def test_with_only_scale_each_new_spectrum_is_its_original_times_a_factor():
    X, y = _data()
    sampler = AugmentingOverSampler(**_OFF, scale=0.1, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    originals = sampler.sample_indices_[len(X) :]
    np.testing.assert_array_equal(y_res[len(y) :], y[originals])
    ratio = X_res[len(X) :] / X[originals]
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[:, :1], ratio.shape))
    assert ((ratio >= 0.9 - 1e-12) & (ratio <= 1.1 + 1e-12)).all()
    assert ratio[:, 0].std() > 0.01


def test_presets_and_overrides():
    X, y = _data()
    preset = AugmentingOverSampler(preset="counts")._strengths()
    assert preset == augmentation_preset("counts")
    override = AugmentingOverSampler(preset="counts", poisson=10.0, shift=0)
    assert override._strengths() == {
        **augmentation_preset("counts"),
        "poisson": 10.0,
        "shift": 0.0,
    }
    X_res, _ = AugmentingOverSampler(preset="counts", random_state=0).fit_resample(X, y)
    assert (X_res[len(X) :] >= 0).all()  # Poisson counts


def test_same_random_state_same_output_and_dtypes_kept():
    X, y = _data(labels=(0, 1, 2))
    X = X.astype("float32")
    y = y.astype("int8")
    a = AugmentingOverSampler(random_state=3).fit_resample(X, y)
    b = AugmentingOverSampler(random_state=3).fit_resample(X, y)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[0].dtype == np.float32
    assert a[1].dtype == np.int8
    assert a[0].ndim == 2
    X_int, y_str = np.round(_data()[0]).astype(int), _data()[1]
    X_res, y_res = AugmentingOverSampler(random_state=0).fit_resample(X_int, y_str)
    assert X_res.dtype == np.float64
    assert y_res.dtype == y_str.dtype


def test_in_an_imblearn_pipeline_with_logistic_regression():
    X, y = _data()
    pipeline = make_pipeline(
        AugmentingOverSampler(random_state=0), LogisticRegression(max_iter=500)
    )
    pipeline.fit(X, y)
    assert pipeline.score(X, y) > 0.9
    assert pipeline.predict(X).shape == y.shape


def test_in_an_imblearn_pipeline_with_a_cnn_classifier():
    from specauth.estimators import CNNClassifier

    X, y = _data(counts=(10, 4, 2), length=32)
    pipeline = make_pipeline(
        AugmentingOverSampler(random_state=0),
        CNNClassifier(
            "cnn1d_small", epochs=1, batch_size=64, schedule=None, random_state=0
        ),
    )
    pipeline.fit(X, y)
    classifier = pipeline[-1]
    assert set(classifier.classes_) == set(y)
    assert pipeline.predict(X).shape == y.shape


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"preset": "raman?"}, "`preset`"),
        ({"shift": -1.0}, "`shift`"),
        ({"scale": 1.5}, "`scale`"),
        ({"offset": -0.1}, "`offset`"),
        ({"noise": -0.1}, "`noise`"),
        ({"poisson": 0.0}, "`poisson`"),
        ({"sampling_strategy": {"quartz": 5}}, "`sampling_strategy`.*at least 12"),
        ({"sampling_strategy": "most"}, "`sampling_strategy`"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(kwargs, match):
    X, y = _data()
    with pytest.raises(ValueError, match=match):
        AugmentingOverSampler(**kwargs).fit_resample(X, y)


def test_refuses_spectra_with_channels():
    X, y = _data()
    with pytest.raises(ValueError, match="dim 3"):
        AugmentingOverSampler().fit_resample(X[:, :, None], y)


# imbalanced-learn's sampler checks (its parametrize_with_checks passes pytest
# a generator, which pytest deprecates: the same checks, as a list).
_SAMPLER_CHECKS = list(
    estimator_checks_generator(AugmentingOverSampler(random_state=0))
)


@pytest.mark.parametrize(
    ("estimator", "check"),
    _SAMPLER_CHECKS,
    ids=[check.func.__name__ for _, check in _SAMPLER_CHECKS],
)
def test_imbalanced_learn_sampler_checks(estimator, check):
    check(estimator)


def test_clone_and_params_follow_scikit_learn():
    from sklearn.base import clone

    sampler = AugmentingOverSampler(preset="nir", noise=0.0, random_state=1)
    assert clone(sampler).get_params() == sampler.get_params()
    assert sampler.get_params()["noise"] == 0.0


def test_without_imbalanced_learn_the_error_names_the_package():
    code = (
        "import sys\n"
        "sys.modules['imblearn'] = None\n"  # as if not installed
        "import specauth.preprocessing as p\n"
        "assert p.perturb_spectra is not None\n"
        "try:\n"
        "    p.AugmentingOverSampler\n"
        "except ImportError as err:\n"
        "    print(err)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "pip install imbalanced-learn" in result.stdout
