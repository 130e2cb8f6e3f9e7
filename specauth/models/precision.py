"""Mixed precision: build a network under a Keras dtype policy, head in float32.

On a GPU with tensor cores (or a TPU), ``"mixed_float16"`` and
``"mixed_bfloat16"`` compute convolutions and matrix products in 16 bits
while keeping the weights in float32, which roughly halves memory traffic
and multiplies throughput. Two things must stay in float32 for the results
to mean the same: the logits (a softmax or a detector score on 16-bit logits
loses the small differences that Energy, MaxLogit and the thresholds rely
on) and the loss. :func:`dtype_policy_scope` builds a network under a policy
without changing Keras's global setting for anything else, and
:func:`float32_head` gives a network's last layer -- the head of the network
contract, ``Dense(n_outputs)`` -- a float32 policy, so logits, regression
outputs, the loss and everything computed from them are float32. Keras itself
wraps the optimizer of a ``"mixed_float16"`` model in a
``LossScaleOptimizer`` when it is compiled (float16 gradients underflow
without loss scaling); ``"mixed_bfloat16"`` has float32's range and needs
none.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras

if TYPE_CHECKING:
    from collections.abc import Iterator

    import keras

__all__ = ["DTYPE_POLICIES", "check_dtype_policy", "dtype_policy_scope", "float32_head"]

#: Dtype policies the estimators accept (None: Keras's global policy).
DTYPE_POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")


def check_dtype_policy(value: object, name: str = "dtype_policy") -> str | None:
    """Return ``value`` if it is None or one of :data:`DTYPE_POLICIES`.

    >>> check_dtype_policy("mixed_bfloat16")
    'mixed_bfloat16'
    >>> check_dtype_policy("float16")
    Traceback (most recent call last):
    ...
    ValueError: `dtype_policy` must be None or one of 'float32', 'mixed_float16', \
'mixed_bfloat16'; got 'float16'. Pure float16 training is unstable: use \
'mixed_float16' (float32 weights, 16-bit computation).
    """
    if value is None or (isinstance(value, str) and value in DTYPE_POLICIES):
        return value
    hint = ""
    if value in ("float16", "bfloat16"):
        hint = (
            f" Pure {value} training is unstable: use 'mixed_{value}' (float32 "
            "weights, 16-bit computation)."
        )
    allowed = ", ".join(repr(p) for p in DTYPE_POLICIES)
    raise ValueError(f"`{name}` must be None or one of {allowed}; got {value!r}.{hint}")


@contextlib.contextmanager
def dtype_policy_scope(policy: str | None) -> Iterator[None]:
    """Make ``policy`` Keras's global dtype policy inside the ``with`` block.

    Layers created inside the block take the policy; the previous global
    policy is restored on leaving it, error or not. None leaves the global
    policy as it is.

    Parameters
    ----------
    policy : {"float32", "mixed_float16", "mixed_bfloat16"} or None
        The policy.

    Examples
    --------
    >>> import keras
    >>> with dtype_policy_scope("mixed_bfloat16"):
    ...     layer = keras.layers.Dense(2)
    >>> layer.compute_dtype, layer.variable_dtype
    ('bfloat16', 'float32')
    >>> keras.config.dtype_policy().name
    'float32'
    """
    policy = check_dtype_policy(policy)
    if policy is None:
        yield
        return
    keras = import_keras()
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def float32_head(network: keras.Model) -> keras.Model:
    """Return ``network`` with its last layer computing in float32.

    A network whose last layer already computes in float32 is returned as
    it is. Otherwise the network is cloned (the same layers, names and
    weights) with the last layer's policy set to ``"float32"``: its inputs
    are cast up, so the logits or regression outputs -- and the loss,
    probabilities and detector scores computed from them -- are float32,
    while the layers before it keep the 16-bit computation of a mixed
    policy. Call it inside :func:`dtype_policy_scope` with the policy the
    network was built under, so the other cloned layers keep theirs.

    Parameters
    ----------
    network : keras.Model
        A functional network whose last layer is its head.

    Returns
    -------
    network : keras.Model
        The network with a float32 head (a new model unless it had one).

    Examples
    --------
    >>> from specauth.models import get_model
    >>> with dtype_policy_scope("mixed_bfloat16"):
    ...     net = float32_head(get_model("cnn1d_small")((64, 1), 3, seed=0))
    >>> net.layers[-1].compute_dtype, net.layers[-2].compute_dtype
    ('float32', 'bfloat16')
    """
    keras = import_keras()
    head = network.layers[-1]
    if head.compute_dtype == "float32":
        return network

    def clone(layer: Any) -> Any:
        config = layer.get_config()
        if layer is head:
            config["dtype"] = "float32"
        return layer.__class__.from_config(config)

    cloned = keras.models.clone_model(network, clone_function=clone)
    cloned.set_weights(network.get_weights())
    return cloned
