"""RAdam follows Liu et al.'s algorithm, momentum steps first, then rectified Adam."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from specauth.training import RAdam  # noqa: E402

W0 = np.array([0.5, -1.0, 2.0])
# Large, changing gradients: a momentum step (lr * m_hat, about lr * 100) and
# a rectified adaptive step (about lr * r_t < lr) differ by orders of magnitude.
GRADIENTS = [np.array([100.0, -50.0, 20.0]) * (1 + 0.1 * t) for t in range(8)]


def rho(t, beta_2):
    rho_inf = 2 / (1 - beta_2) - 1
    return rho_inf - 2 * t * beta_2**t / (1 - beta_2**t)


def reference(gradients, *, lr, beta_1=0.9, beta_2=0.999, eps=1e-7, threshold=5.0):
    """Algorithm 2 of the paper in float64 numpy; returns w after each step."""
    rho_inf = 2 / (1 - beta_2) - 1
    w, m, v = W0.copy(), np.zeros(3), np.zeros(3)
    out = []
    for t, g in enumerate(gradients, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        m_hat = m / (1 - beta_1**t)
        rho_t = rho(t, beta_2)
        if rho_t > threshold:
            v_hat = v / (1 - beta_2**t)
            r = np.sqrt(
                (rho_t - 4)
                * (rho_t - 2)
                * rho_inf
                / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            w = w - lr * r * m_hat / (np.sqrt(v_hat) + eps)
        else:
            w = w - lr * m_hat
        out.append(w.copy())
    return out


def run(optimizer, gradients):
    w = keras.Variable(W0.astype("float32"))
    out = []
    for g in gradients:
        optimizer.apply([keras.ops.array(g.astype("float32"))], [w])
        out.append(np.asarray(keras.ops.convert_to_numpy(w), dtype=float))
    return out


def first_rectified_step(beta_2, threshold):
    return next(t for t in range(1, 100) if rho(t, beta_2) > threshold)


def test_rectification_switches_on_at_step_6_with_threshold_5():
    assert [round(rho(t, 0.999), 3) for t in (1, 5, 6)] == [1.0, 4.996, 5.994]
    assert first_rectified_step(0.999, 5.0) == 6
    assert first_rectified_step(0.999, 4.0) == 5


def test_updates_match_numpy_before_and_after_the_switch():
    lr = 1e-3
    got = run(RAdam(lr), GRADIENTS)
    expected = reference(GRADIENTS, lr=lr)
    for step, (a, b) in enumerate(zip(got, expected, strict=True), start=1):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7, err_msg=f"step {step}")


def test_step_5_is_a_momentum_step_and_step_6_an_adaptive_one():
    lr = 1e-3
    got = run(RAdam(lr), GRADIENTS)
    moves = [np.abs(b - a).max() for a, b in zip([W0, *got[:-1]], got, strict=True)]
    # Momentum steps move by about lr * |m_hat| >= 0.1; the first rectified
    # steps by lr * r_t (r_6 = 0.026) at most.
    assert min(moves[:5]) > 0.05
    assert max(moves[5:]) < 1e-4


def test_threshold_4_switches_one_step_earlier():
    lr = 1e-3
    got = run(RAdam(lr, rectify_threshold=4.0), GRADIENTS)
    expected = reference(GRADIENTS, lr=lr, threshold=4.0)
    np.testing.assert_allclose(got[4], expected[4], rtol=1e-6, atol=1e-7)
    assert np.abs(got[4] - got[3]).max() < 1e-4


def test_other_betas_and_weight_decay_of_the_base_optimizer():
    lr, wd = 0.01, 0.1
    got = run(RAdam(lr, beta_1=0.8, beta_2=0.99, weight_decay=wd), GRADIENTS[:2])
    # Decoupled decay (Keras): w -= lr * wd * w before the step.
    w = W0 * (1 - lr * wd)
    m = 0.2 * GRADIENTS[0]
    np.testing.assert_allclose(got[0], w - lr * m / 0.2, rtol=1e-6)


def test_config_round_trip():
    optimizer = RAdam(0.02, beta_1=0.8, rectify_threshold=4.5, clipnorm=1.0)
    config = optimizer.get_config()
    copy = RAdam.from_config(config)
    assert copy.get_config() == config
    assert config["rectify_threshold"] == 4.5 and config["clipnorm"] == 1.0
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert isinstance(restored, RAdam)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"beta_1": 1.0}, "beta_1"),
        ({"beta_2": -0.1}, "beta_2"),
        ({"epsilon": 0.0}, "epsilon"),
        ({"rectify_threshold": 3.0}, "rectify_threshold"),
    ],
)
def test_bad_hyperparameters_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        RAdam(**kwargs)
