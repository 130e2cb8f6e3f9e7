"""Tests for lr_find, LRFinderResult and the suggestion rules."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from specauth.training import (  # noqa: E402
    CyclicalLearningRate,
    LRFinderResult,
    OneCycleSchedule,
    lr_find,
)
from specauth.training._suggestions import (  # noqa: E402
    longest_descent,
    suggest_minimum,
    suggest_slide,
    suggest_steep,
    suggest_valley,
)
from specauth.training.lr_finder import _batch_indices  # noqa: E402

# --------------------------------------------------------------- synthetic curve
# log10(lr) from -7 to 1 in steps of 0.05. The loss creeps up (never falls)
# until 1e-4, falls along a half cosine to its minimum at 1e-2 (steepest at
# 1e-3), then rises.
LOG_LR = np.round(np.linspace(-7, 1, 161), 10)
LRS = 10.0**LOG_LR


def valley_curve():
    x = LOG_LR
    plateau = 1.0 + 1e-4 * (x + 7)
    depth = 0.5 * (1 - np.cos(np.pi * (x + 4) / 2))  # 0 at -4, 1 at -2
    descent = 1.0003 - 0.8 * depth
    rise = 0.2003 + 2.0 * (x + 2) ** 2
    return np.where(x < -4, plateau, np.where(x <= -2, descent, rise))


def test_minimum_and_steep_on_a_known_curve():
    losses = valley_curve()
    assert suggest_minimum(LRS, losses) == pytest.approx(1e-2 / 10)
    assert suggest_steep(LRS, losses) == pytest.approx(1e-3)


def test_slide_on_a_known_curve():
    # slope of the half cosine is at least half its steepest value while
    # sin(pi (x + 4) / 2) >= 1/2, i.e. up to x = -4 + 5/3 = -2.33; the last
    # grid point before it is -2.35.
    assert suggest_slide(LRS, valley_curve()) == pytest.approx(10**-2.35)


def test_valley_on_a_known_curve():
    # the longest descent runs from -4 (index 60) to -2 (index 100): 41 points;
    # two thirds of the way down is index 60 + round(26.67) = 87, x = -2.65.
    losses = valley_curve()
    assert longest_descent(losses) == (60, 100)
    assert suggest_valley(LRS, losses) == pytest.approx(10**-2.65)


def test_valley_steps_over_small_bumps():
    losses = valley_curve()
    bumped = losses.copy()
    bumped[[70, 80, 90]] += 0.02  # three bumps in the descent
    start, end = longest_descent(bumped)
    assert end == 100
    assert 60 <= start <= 63
    assert 10**-3.5 < suggest_valley(LRS, bumped) < 10**-2.3


def test_suggestions_on_degenerate_curves():
    assert np.isnan(suggest_valley(LRS[:0], []))
    assert np.isnan(suggest_slide(LRS[:0], []))
    for suggest in (suggest_valley, suggest_slide, suggest_steep):
        assert suggest(LRS[:1], [1.0]) == LRS[0]
    flat_rising = np.linspace(1, 2, 10)
    assert suggest_slide(LRS[:10], flat_rising) == LRS[0]
    assert suggest_steep(LRS[:10], flat_rising) == LRS[0]


# ------------------------------------------------------------------ the result
def test_result_attributes_repr_and_suggestion():
    result = LRFinderResult(LRS, valley_curve(), stop_reason="diverged")
    assert set(result.suggestions) == {"valley", "slide", "minimum", "steep"}
    assert result.valley == result.suggestion() == result.suggestions["valley"]
    assert result.slide == result.suggestion("slide")
    assert result.minimum == pytest.approx(1e-3)
    assert result.steep == pytest.approx(1e-3)
    np.testing.assert_array_equal(result.raw_losses, result.losses)
    text = repr(result)
    for name in ("n_points=161", "diverged", "valley=", "slide=", "minimum=1.0e-03"):
        assert name in text
    with pytest.raises(ValueError, match="`name` must be one of 'valley'"):
        result.suggestion("best")


def test_result_validates_its_inputs():
    with pytest.raises(ValueError, match="same length"):
        LRFinderResult([1e-3, 1e-2], [1.0])
    with pytest.raises(ValueError, match="strictly increasing"):
        LRFinderResult([1e-2, 1e-3], [1.0, 2.0])


def test_plot():
    result = LRFinderResult(LRS, valley_curve(), valley_curve() + 0.01)
    ax = result.plot()
    try:
        assert isinstance(ax, matplotlib.axes.Axes)
        assert ax.get_xscale() == "log"
        labels = [line.get_label() for line in ax.lines]
        assert labels[:2] == ["loss", "smoothed loss"]
        assert any(label.startswith("valley: ") for label in labels)
        assert len(ax.lines) == 6
        np.testing.assert_allclose(ax.lines[1].get_ydata(), result.losses)
        _, given = plt.subplots()
        assert result.plot(ax=given, suggestions=False) is given
        assert len(given.lines) == 2
        empty = LRFinderResult([], []).plot()
        assert len(empty.lines) == 0
    finally:
        plt.close("all")


# -------------------------------------------------------------------- lr_find
def separable_data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype("float32")
    y = (X @ np.array([1.5, -2.0, 0.5, 1.0]) > 0).astype("float32")
    return X, y


def logistic_model(optimizer, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer, loss="binary_crossentropy")
    return model


def snapshot(model):
    values = [*model.variables, *model.optimizer.variables]
    return [np.array(v.numpy(), copy=True) for v in values]


def assert_same_state(before, after):
    assert len(before) == len(after)
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype


def test_end_to_end_restores_state_and_valley_trains():
    X, y = separable_data()
    model = logistic_model(keras.optimizers.Adam(0.001))
    model.fit(X, y, batch_size=32, epochs=1, verbose=0)  # non-trivial state
    before = snapshot(model)
    first = lr_find(model, X, y, num_it=50, batch_size=16, random_state=3)
    assert_same_state(before, snapshot(model))
    second = lr_find(model, X, y, num_it=50, batch_size=16, random_state=3)
    np.testing.assert_array_equal(first.raw_losses, second.raw_losses)
    assert_same_state(before, snapshot(model))

    n = len(first.lrs)
    assert n >= 20
    np.testing.assert_allclose(first.lrs, np.geomspace(1e-7, 10.0, 50)[:n])
    # smoothed losses: bias-corrected exponential moving average of the raw ones
    avg, expected = 0.0, []
    for i, loss in enumerate(first.raw_losses):
        avg = 0.98 * avg + 0.02 * loss
        expected.append(avg / (1 - 0.98 ** (i + 1)))
    np.testing.assert_allclose(first.losses, expected, rtol=1e-12)
    if first.stop_reason == "diverged":
        assert first.losses[-1] > 4 * first.losses[:-1].min()

    initial = model.evaluate(X, y, verbose=0)
    model.optimizer.learning_rate = first.valley
    model.fit(X, y, batch_size=16, epochs=5, verbose=0)
    assert model.evaluate(X, y, verbose=0) < 0.7 * initial


def test_shuffling_depends_on_random_state():
    X, y = separable_data()
    model = logistic_model(keras.optimizers.SGD(0.01))
    a = lr_find(model, X, y, num_it=10, start_lr=1e-3, end_lr=1.0, random_state=0)
    b = lr_find(model, X, y, num_it=10, start_lr=1e-3, end_lr=1.0, random_state=1)
    assert not np.array_equal(a.raw_losses, b.raw_losses)


def test_schedule_is_swapped_out_and_put_back():
    X, _ = separable_data()
    y = X @ np.array([1.0, -2.0, 0.5, 3.0], dtype="float32")
    schedule = OneCycleSchedule(0.01, total_steps=12)
    weights_after = []
    for run_lr_find in (True, False):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile(keras.optimizers.Adam(schedule), loss="mse")
        model.fit(X, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
        if run_lr_find:
            result = lr_find(model, X, y, num_it=40, end_lr=1e4, random_state=0)
            # the schedule alone never exceeds 0.01: the sweep really ran
            assert result.stop_reason == "diverged"
            assert model.optimizer._learning_rate is schedule
            assert int(model.optimizer.iterations) == 3
        model.fit(X, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
        weights_after.append(model.get_weights())
    for with_finder, without in zip(*weights_after, strict=True):
        np.testing.assert_allclose(with_finder, without, rtol=1e-6, atol=1e-7)


def test_batchnorm_dropout_and_unbuilt_model():
    X, y = separable_data()
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [
            keras.layers.Dense(8, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(keras.optimizers.SGD(0.01, momentum=0.9), "binary_crossentropy")
    first = lr_find(model, X, y, num_it=15, batch_size=32, random_state=0)
    assert model.built and model.optimizer.built
    assert int(model.optimizer.iterations) == 0
    state = snapshot(model)
    second = lr_find(model, X, y, num_it=15, batch_size=32, random_state=0)
    np.testing.assert_array_equal(first.raw_losses, second.raw_losses)
    assert_same_state(state, snapshot(model))


def test_nan_loss_ends_the_sweep_without_raising():
    X, y = separable_data()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01), loss="mse")
    before = snapshot(model)
    result = lr_find(
        model,
        X * 1e3,
        y,
        num_it=60,
        start_lr=1e-6,
        end_lr=1e12,
        stop_div=False,
        random_state=0,
    )
    assert result.stop_reason == "non-finite"
    assert 2 <= len(result.lrs) < 60
    assert np.all(np.isfinite(result.raw_losses))
    assert np.isfinite(result.valley)
    assert_same_state(before, snapshot(model))


def test_non_finite_first_loss_warns_and_returns_an_empty_result():
    X, y = separable_data()
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(1e30)),
        ]
    )
    model.compile(keras.optimizers.SGD(0.01), loss="mse")
    with pytest.warns(UserWarning, match="not finite at the first"):
        result = lr_find(model, X, y, num_it=5)
    assert len(result.lrs) == 0 and result.stop_reason == "non-finite"
    assert np.isnan(result.valley)
    assert "n_points=0" in repr(result)


class FakeEstimator:
    """Stands in for CNNClassifier: builds a compiled model from string labels."""

    def __init__(self):
        self.calls = 0

    def build_network(self, X, y):
        self.calls += 1
        classes, codes = np.unique(np.asarray(y), return_inverse=True)
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input((X.shape[1],)),
                keras.layers.Dense(len(classes), activation="softmax"),
            ]
        )
        model.compile(keras.optimizers.Adam(), "sparse_categorical_crossentropy")
        return model, np.asarray(X, dtype="float32"), codes


def test_estimator_protocol():
    X, y = separable_data()
    labels = np.where(y > 0, "pos", "neg")
    estimator = FakeEstimator()
    result = lr_find(estimator, X, labels, num_it=20, random_state=0)
    assert estimator.calls == 1
    assert isinstance(result, LRFinderResult)
    assert len(result.lrs) >= 2


def test_an_estimator_seeds_the_sweep_with_its_random_state():
    # issue 14: the batch order came from numpy's global state, so two calls
    # on CNNClassifier(random_state=0) gave two different curves
    from specauth.datasets import make_spectra
    from specauth.estimators import CNNClassifier

    data = make_spectra(n_classes=2, n_samples_per_class=12, length=64, random_state=0)
    curves = []
    for global_seed in (1, 2):
        np.random.seed(global_seed)
        clf = CNNClassifier("cnn1d_small", random_state=0)
        curves.append(lr_find(clf, data.X, data.y, num_it=12, batch_size=8).losses)
    np.testing.assert_array_equal(curves[0], curves[1])


def test_batch_indices_cycle_and_reshuffle():
    rng = np.random.default_rng(0)
    batches = _batch_indices(10, 4, 7, rng)
    assert len(batches) == 7
    assert all(len(b) == 4 for b in batches)
    for first, second in zip(
        batches[0::2], batches[1::2], strict=False
    ):  # one pass = 2 batches
        assert not set(first) & set(second)
    assert not all(
        np.array_equal(a, b) for a, b in zip(batches[0::2], batches[2::2], strict=False)
    )
    (whole,) = _batch_indices(3, 32, 1, rng)
    assert sorted(whole) == [0, 1, 2]


# ----------------------------------------------------------------- bad input
@pytest.fixture(scope="module")
def compiled():
    return logistic_model(keras.optimizers.SGD(0.01))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(start_lr=1.0, end_lr=1.0), ValueError, "`end_lr` must be > `start_lr`"),
        (dict(start_lr=1.0, end_lr=0.1), ValueError, "`end_lr` must be > `start_lr`"),
        (
            dict(start_lr=-1e-3),
            ValueError,
            "`start_lr` must be a finite number in \\(0",
        ),
        (dict(num_it=1), ValueError, "`num_it` must be an int in \\[2"),
        (dict(num_it=10.0), TypeError, "`num_it`"),
        (dict(batch_size=0), ValueError, "`batch_size`"),
        (dict(beta=1.0), ValueError, "`beta` must be a number in \\[0, 1\\)"),
        (dict(div_threshold=1.0), ValueError, "`div_threshold`"),
        (dict(stop_div="yes"), TypeError, "`stop_div` must be a bool"),
        (dict(verbose=-1), ValueError, "`verbose`"),
        (dict(random_state="seed"), ValueError, "seed"),
    ],
)
def test_bad_parameters(compiled, kwargs, error, match):
    X, y = separable_data(8)
    with pytest.raises(error, match=match):
        lr_find(compiled, X, y, **kwargs)


def test_bad_data(compiled):
    X, y = separable_data(8)
    with pytest.raises(ValueError, match="same number of samples; got 8 and 7"):
        lr_find(compiled, X, y[:7])
    with pytest.raises(ValueError, match="at least 1 sample"):
        lr_find(compiled, X[:0], y[:0])
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="`X` contains NaN"):
        lr_find(compiled, X_nan, y)


def test_uncompiled_model_and_wrong_object():
    X, y = separable_data(8)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="not compiled; call `model.compile"):
        lr_find(model, X, y)
    with pytest.raises(TypeError, match="compiled keras.Model or an estimator"):
        lr_find("model", X, y)


def test_works_with_a_cyclical_schedule_too():
    X, y = separable_data()
    clr = CyclicalLearningRate(1e-4, 1e-3, step_size=2)
    model = logistic_model(keras.optimizers.SGD(clr))
    result = lr_find(model, X, y, num_it=12, start_lr=1e-3, end_lr=1.0)
    assert len(result.lrs) == 12
    assert model.optimizer._learning_rate is clr


def test_verbose_prints_one_line_per_iteration(capsys):
    X, y = separable_data(32)
    model = logistic_model(keras.optimizers.SGD(0.01))
    result = lr_find(model, X, y, num_it=5, start_lr=1e-4, end_lr=1e-2, verbose=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(result.lrs) == 5
    assert lines[0].startswith("lr_find 1/5: lr=0.0001")
