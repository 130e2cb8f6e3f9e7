"""Mixed precision: estimators built under a dtype policy keep a float32 head,
Keras's global policy is left as it was, and bad policies are named."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from specauth.estimators import CNNClassifier, CNNRegressor
from specauth.models import dtype_policy_scope, float32_head, get_model
from specauth.models.precision import check_dtype_policy

FAST = dict(epochs=2, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(48, 40)).astype(np.float32)
    y = np.repeat(["a", "b", "c"], 16)
    X[y == "b", 10:14] += 3.0
    return X, y


def test_scope_restores_the_global_policy_even_on_error():
    assert keras.config.dtype_policy().name == "float32"
    with pytest.raises(RuntimeError), dtype_policy_scope("mixed_float16"):
        assert keras.config.dtype_policy().name == "mixed_float16"
        raise RuntimeError
    assert keras.config.dtype_policy().name == "float32"
    with dtype_policy_scope(None):
        assert keras.config.dtype_policy().name == "float32"


def test_float32_head_keeps_weights_names_and_outputs():
    with dtype_policy_scope("mixed_bfloat16"):
        network = get_model("cnn1d_small")((40, 1), 3, seed=0)
        head = float32_head(network)
    assert [layer.name for layer in head.layers] == [
        layer.name for layer in network.layers
    ]
    assert head.layers[-1].compute_dtype == "float32"
    assert network.layers[-1].compute_dtype == "bfloat16"  # the input is untouched
    assert {layer.compute_dtype for layer in head.layers[2:-1]} == {"bfloat16"}
    for a, b in zip(head.get_weights(), network.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    X = np.random.default_rng(1).normal(size=(5, 40, 1)).astype(np.float32)
    out = keras.ops.convert_to_numpy(head(X))
    assert out.dtype == np.float32
    # the head computes in float32 what the bfloat16 network rounds
    reference = keras.ops.convert_to_numpy(network(X)).astype(np.float32)
    np.testing.assert_allclose(out, reference, rtol=0.05, atol=0.05)
    # a float32 network is returned as it is
    plain = get_model("cnn1d_small")((40, 1), 3, seed=0)
    assert float32_head(plain) is plain


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_classifier_trains_with_a_float32_head(data, policy):
    X, y = data
    clf = CNNClassifier("cnn1d_small", dtype_policy=policy, **FAST).fit(X, y)
    layers = clf.network_.layers
    assert layers[-1].compute_dtype == "float32"
    assert layers[1].compute_dtype == policy.removeprefix("mixed_")
    assert keras.config.dtype_policy().name == "float32"
    optimizer = type(clf.network_.optimizer).__name__
    assert (optimizer == "LossScaleOptimizer") == (policy == "mixed_float16")
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    logits = clf.network_.predict_on_batch(X[:4, :, None])
    assert keras.ops.convert_to_numpy(logits).dtype == np.float32
    assert np.all(np.isfinite(clf.history_["loss"]))


def test_regressor_with_augmentation_saves_and_loads(data, tmp_path):
    from specauth.hub import load_pretrained, save_pretrained

    X, _ = data
    target = X[:, 10:14].sum(axis=1)
    reg = CNNRegressor(
        "cnn1d_small", dtype_policy="mixed_bfloat16", augmentation="spectra", **FAST
    ).fit(X, target)
    assert reg.network_.layers[-1].compute_dtype == "float32"
    save_pretrained(reg, tmp_path / "model")
    loaded = load_pretrained(tmp_path / "model")
    assert loaded.network_.layers[1].compute_dtype == "bfloat16"
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))


@pytest.mark.parametrize("bad", ["float16", "mixed", 16])
def test_bad_policies_are_named(data, bad):
    X, y = data
    with pytest.raises((ValueError, TypeError), match="dtype_policy"):
        CNNClassifier("cnn1d_small", dtype_policy=bad, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="mixed_float16"):
        check_dtype_policy("float16")
