"""Let TensorFlow free the graphs that a training run traces.

Under TensorFlow, every traced train step runs the optimizer's all-reduce of
the gradients (``ReplicaContext.all_reduce`` of the default distribution
strategy), a ``tf.custom_gradient`` function. In graph mode
``tf.custom_gradient`` registers the gradient of each call under a fresh name
(``"CustomGradient-<n>"``) in TensorFlow's process-wide gradient registry and
never removes it. The registered closure holds tensors of the traced step, so
the whole step graph -- its operations, branch functions and their copies in
the eager runtime -- outlives the model, optimizer and train function.

:func:`release_traced_graphs` removes, when a block of training ends, the
registrations of all-reduce gradients whose graphs have finished tracing.
They are never looked up again: a train step takes its gradients before the
optimizer step, and nothing differentiates through the optimizer step.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["release_traced_graphs"]

_PREFIX = "CustomGradient-"


def _gradient_registrations() -> dict[str, Any] | None:
    """TensorFlow's gradient registry (name -> entry), or None if unavailable."""
    if import_keras().backend.backend() != "tensorflow":
        return None
    from tensorflow.python.framework import ops

    registry = getattr(getattr(ops, "_gradient_registry", None), "_registry", None)
    return registry if isinstance(registry, dict) else None


def _free_variable(function: Any, name: str) -> Any:
    """The value of the free variable ``name`` of ``function``, or None."""
    code = getattr(function, "__code__", None)
    cells = getattr(function, "__closure__", None)
    if code is None or not cells or name not in code.co_freevars:
        return None
    try:
        return cells[code.co_freevars.index(name)].cell_contents
    except ValueError:  # an empty cell
        return None


def _finished(graph: Any) -> bool:
    """Whether ``graph`` and every function graph enclosing it finished tracing."""
    while graph is not None and hasattr(graph, "structured_outputs"):
        if graph.structured_outputs is None:
            return False
        graph = getattr(graph, "outer_graph", None)
    return True


def _is_released(entry: Any) -> bool:
    """Whether a registry entry is a finished trace's all-reduce gradient."""
    if not isinstance(entry, dict):
        return False
    tape_grad_fn = _free_variable(entry.get("type"), "tape_grad_fn")
    grad_fn = _free_variable(tape_grad_fn, "grad_fn")
    if ".all_reduce.<locals>." not in getattr(grad_fn, "__qualname__", ""):
        return False
    if not str(getattr(grad_fn, "__module__", "")).startswith("tensorflow."):
        return False
    outputs = _free_variable(tape_grad_fn, "result")
    graphs = {getattr(t, "graph", None) for t in (outputs or [])} - {None}
    return bool(graphs) and all(_finished(g) for g in graphs)


def _release(registry: dict[str, Any], kept: set[str]) -> int:
    """Remove the released entries not in ``kept``; return how many."""
    names = [
        name
        for name in list(registry)
        if name.startswith(_PREFIX)
        and name not in kept
        and _is_released(registry.get(name))
    ]
    for name in names:
        registry.pop(name, None)
    return len(names)


@contextlib.contextmanager
def release_traced_graphs() -> Iterator[None]:
    """Release, on exit, the step graphs traced inside the ``with`` block.

    Wrap a training run (``Model.fit``, ``train_on_batch`` sweeps): on exit,
    TensorFlow's registrations of the optimizer's all-reduce gradients made
    during the block are removed, so that the traced train steps are freed
    with their models instead of living as long as the process. Models,
    weights and results are unchanged; models still alive keep working
    (their compiled steps do not read the registry). Nothing happens on
    other Keras backends or when TensorFlow's registry is not found.

    Examples
    --------
    >>> import keras, numpy as np
    >>> network = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> network.compile("sgd", loss="mse")
    >>> with release_traced_graphs():
    ...     history = network.fit(np.ones((8, 4)), np.ones((8, 2)), verbose=0)
    >>> network.predict_on_batch(np.ones((1, 4))).shape
    (1, 2)
    """
    registry = _gradient_registrations()
    kept = set(list(registry)) if registry is not None else set()
    try:
        yield
    finally:
        if registry is not None:
            _release(registry, kept)
