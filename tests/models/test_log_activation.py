"""LogActivation and the ``log_activation`` option of every builder."""

import math

import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

from specauth.models import get_model
from specauth.models.layers import LogActivation


def _formula(x, alpha=0.2, beta=0.0):
    return np.sign(x) * alpha * (np.log(np.abs(x) + 1 / math.e) + 1) + beta


def _apply(layer, x):
    return to_numpy(layer(np.asarray(x, dtype="float32"))).astype(np.float64)


def test_matches_the_published_formula():
    x = np.array([[-1e4, -30.0, -1.0, -0.01, 0.0, 0.01, 1.0, 30.0, 1e4]])
    np.testing.assert_allclose(_apply(LogActivation(), x), _formula(x), rtol=1e-5)
    np.testing.assert_allclose(
        _apply(LogActivation(alpha=1.5, beta=-0.3), x),
        _formula(x, 1.5, -0.3),
        rtol=1e-5,
        atol=1e-6,
    )


def test_hand_worked_values():
    # |x| + 1/e = e  ->  ln e + 1 = 2, so f(+-(e - 1/e)) = +-2 alpha.
    x = np.array([-(math.e - 1 / math.e), math.e - 1 / math.e])
    np.testing.assert_allclose(_apply(LogActivation(), x), [-0.4, 0.4], rtol=1e-5)


def test_odd_around_beta():
    x = np.random.default_rng(0).exponential(100.0, size=(4, 50))
    layer = LogActivation(alpha=0.7, beta=2.0)
    up, down = _apply(layer, x), _apply(layer, -x)
    np.testing.assert_allclose(up - 2.0, -(down - 2.0), rtol=1e-5)
    assert (up > 2.0).all()


@pytest.mark.parametrize("beta", [0.0, 1.25])
def test_continuous_at_zero_where_it_equals_beta(beta):
    layer = LogActivation(alpha=0.2, beta=beta)
    values = _apply(layer, [-1e-6, 0.0, 1e-6])
    assert values[1] == pytest.approx(beta, abs=1e-7)
    # The slope at 0 is alpha * e: steps of 1e-6 move the output by ~5e-7.
    np.testing.assert_allclose(values, beta, atol=1e-6)


def test_beta_shifts_every_output():
    x = np.linspace(-50, 50, 21)
    np.testing.assert_allclose(
        _apply(LogActivation(beta=0.5), x) - _apply(LogActivation(), x),
        0.5,
        rtol=1e-6,
    )


def test_frozen_by_default_and_learnable_on_request(keras):
    frozen = LogActivation()
    frozen.build((None, 3))
    assert not frozen.trainable_weights and len(frozen.non_trainable_weights) == 2

    inputs = keras.Input((3,))
    layer = LogActivation(learnable=True)
    model = keras.Model(inputs, layer(inputs))
    assert len(layer.trainable_weights) == 2
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    x = np.random.default_rng(0).exponential(10.0, size=(32, 3)).astype("float32")
    y = _formula(x, alpha=0.5, beta=0.3).astype("float32")
    # 150 steps in one epoch (one epoch per step would be slow).
    model.fit(np.tile(x, (150, 1)), np.tile(y, (150, 1)), batch_size=32, verbose=0)
    alpha, beta = (float(w.numpy()) for w in (layer.alpha_weight, layer.beta_weight))
    assert alpha == pytest.approx(0.5, abs=0.05)  # from 0.2
    assert beta == pytest.approx(0.3, abs=0.1)  # from 0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"alpha": 0.0}, ValueError, "`alpha` must be > 0"),
        ({"alpha": "big"}, TypeError, "`alpha` must be a real number"),
        ({"beta": float("nan")}, ValueError, "`beta` must be finite"),
        ({"learnable": 1}, TypeError, "learnable"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        LogActivation(**kwargs)


def test_config_and_keras_file_round_trip(keras, tmp_path):
    layer = LogActivation(alpha=0.4, beta=0.1, learnable=True, name="log")
    clone = LogActivation.from_config(layer.get_config())
    assert (clone.alpha, clone.beta, clone.learnable) == (0.4, 0.1, True)

    inputs = keras.Input((5,))
    model = keras.Model(inputs, keras.layers.Dense(2)(layer(inputs)))
    x = np.random.default_rng(1).normal(scale=100, size=(3, 5)).astype("float32")
    path = tmp_path / "log.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe mode
    assert isinstance(loaded.get_layer("log"), LogActivation)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )


# ---------------------------------------------------------- builder option
_FIRST = {
    "cnn1d_small": ((64, 1), "block1_relu", "block1_log"),
    "resnet1d_small": ((64, 1), "block1_1_relu", "block1_1_log"),
    "inception_time_small": ((64, 1), "module1_relu", "module1_log"),
    "lite_small": ((64, 1), "multiplex_relu", "multiplex_log"),
    "resnet2d": ((32, 32, 1), "stem_relu", "stem_log"),
    "vgg2d": ((32, 32, 1), "stem_relu", "stem_log"),
}


@pytest.mark.parametrize("name", sorted(_FIRST))
def test_option_replaces_exactly_the_first_activation(name, keras):
    shape, relu, log = _FIRST[name]
    builder = get_model(name)
    plain = builder(shape, 3, seed=0)
    default = builder(shape, 3, seed=0, log_activation=False)
    logged = builder(shape, 3, seed=0, log_activation=True)
    names = [layer.name for layer in plain.layers]
    assert [layer.name for layer in default.layers] == names
    assert not any(isinstance(la, LogActivation) for la in default.layers)
    changed = [
        i
        for i, (a, b) in enumerate(zip(plain.layers, logged.layers, strict=True))
        if type(a) is not type(b) or a.name != b.name
    ]
    assert len(changed) == 1
    i = changed[0]
    assert names[i] == relu and isinstance(plain.layers[i], keras.layers.ReLU)
    assert logged.layers[i].name == log
    assert isinstance(logged.layers[i], LogActivation)
    # A convolution comes before it, and no other activation (LITE's frozen
    # hand-crafted filters keep their own ReLU, which feeds the same module).
    before = logged.layers[:i]
    assert any("Conv" in type(la).__name__ for la in before)
    relus = [la.name for la in before if isinstance(la, keras.layers.ReLU)]
    assert relus == (["custom_relu"] if name == "lite_small" else [])
    # Same weights otherwise: the activation draws no seed.
    for a, b in zip(plain.get_weights(), default.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(logged.get_weights()) == len(plain.get_weights()) + 2


def test_resnet1d_without_stem_and_with_one_kernel():
    from specauth.models import resnet1d

    model = resnet1d((16, 1), 2, kernel_sizes=(3,), log_activation=True, seed=0)
    assert isinstance(model.get_layer("block1_out_log"), LogActivation)
    assert sum(isinstance(la, LogActivation) for la in model.layers) == 1


def test_option_is_checked():
    with pytest.raises(TypeError, match="log_activation"):
        get_model("cnn1d_small")((64, 1), 3, log_activation="yes")
