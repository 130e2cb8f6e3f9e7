"""release_traced_graphs: traced train steps are freed; results are unchanged."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.training._traced_graphs import (
    _gradient_registrations,
    release_traced_graphs,
)

keras = pytest.importorskip("keras")
if keras.backend.backend() != "tensorflow":
    pytest.skip("the registry leak is TensorFlow's", allow_module_level=True)


def _data():
    return make_spectra(n_classes=2, n_samples_per_class=8, length=64, random_state=0)


def _network():
    network = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    network.compile(keras.optimizers.Adam(1e-2), loss="mse")
    return network


def _custom_gradients():
    return {k for k in _gradient_registrations() if k.startswith("CustomGradient-")}


def _function_graphs():
    from tensorflow.python.framework.func_graph import FuncGraph

    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, FuncGraph)]


def _fit_and_watch_step(release):
    """Fit a throwaway network; return weak references to the graphs it traced."""
    old = set(map(id, _function_graphs()))
    network = _network()
    x, y = np.ones((8, 4), "float32"), np.zeros((8, 2), "float32")
    if release:
        with release_traced_graphs():
            network.fit(x, y, epochs=1, batch_size=4, verbose=0)
    else:
        network.fit(x, y, epochs=1, batch_size=4, verbose=0)
    traced = [weakref.ref(g) for g in _function_graphs() if id(g) not in old]
    del network
    gc.collect()
    return traced


def test_fit_without_release_leaves_registrations_that_pin_the_step_graph():
    before = _custom_gradients()
    graphs = _fit_and_watch_step(release=False)
    assert _custom_gradients() - before  # TensorFlow's leak, reproduced
    assert any(g() is not None for g in graphs)


def test_release_drops_the_registrations_and_frees_the_step_graph():
    before = _custom_gradients()
    graphs = _fit_and_watch_step(release=True)
    assert _custom_gradients() - before == set()
    assert graphs and all(g() is None for g in graphs)


@pytest.mark.slow  # >= 10 s on 2 cores
def test_release_keeps_predictions_bit_identical_to_a_plain_fit():
    data = _data()
    plain = CNNClassifier("cnn1d_small", epochs=2, random_state=3).fit(data.X, data.y)
    with release_traced_graphs():
        released = CNNClassifier("cnn1d_small", epochs=2, random_state=3)
        released.fit(data.X, data.y)
    assert np.array_equal(plain.predict_proba(data.X), released.predict_proba(data.X))


@pytest.mark.slow  # >= 10 s on 2 cores
def test_two_live_estimators_keep_their_own_networks():
    data = _data()
    first = CNNClassifier("cnn1d_small", epochs=2, random_state=0)
    with release_traced_graphs():
        first.fit(data.X, data.y)
    proba = first.predict_proba(data.X)
    second = CNNClassifier("cnn1d_small", epochs=2, random_state=1)
    with release_traced_graphs():
        second.fit(data.X, data.y)
    assert first.network_ is not second.network_
    assert not set(map(id, first.network_.weights)) & set(
        map(id, second.network_.weights)
    )
    assert np.array_equal(first.predict_proba(data.X), proba)
    assert not np.array_equal(second.predict_proba(data.X), proba)


def test_a_released_network_trains_again_with_its_compiled_step():
    network = _network()
    x, y = np.ones((8, 4), "float32"), np.zeros((8, 2), "float32")
    with release_traced_graphs():
        network.fit(x, y, epochs=1, batch_size=4, verbose=0)
    step = network.train_function
    loss = network.fit(x, y, epochs=1, batch_size=4, verbose=0).history["loss"]
    assert network.train_function is step  # same traced step, not retraced
    assert np.isfinite(loss).all()
    # a new batch shape retraces: gradients are still found in the registry
    network.fit(x, y, epochs=1, batch_size=3, verbose=0)


def test_release_keeps_registrations_made_before_the_block():
    before = _custom_gradients()
    _fit_and_watch_step(release=False)
    kept = _custom_gradients()
    with release_traced_graphs():
        pass
    assert _custom_gradients() == kept
    assert before <= kept


@pytest.mark.slow  # >= 10 s on 2 cores
def test_the_training_loop_and_lr_find_release_what_they_trace():
    # issue 14 section 6: each fit kept ~17 MiB of traced graphs alive
    from specauth.training import lr_find

    data = _data()
    before = _custom_gradients()
    CNNClassifier("cnn1d_small", epochs=2, random_state=0).fit(data.X, data.y)
    assert _custom_gradients() - before == set()
    lr_find(CNNClassifier("cnn1d_small", random_state=0), data.X, data.y, num_it=5)
    assert _custom_gradients() - before == set()
