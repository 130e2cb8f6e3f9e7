"""Gradients of chosen logits with respect to a feature map, per backend.

Each function takes the network's head ``head`` (a Keras model from the
feature map to the logits), a float32 array of feature maps and the class
index per sample, and returns ``d logit[i, classes[i]] / d features[i]`` as a
numpy array of the features' shape. Only the head is differentiated, so the
cost is tiny whatever the size of the (possibly frozen, nested) base.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeAlias

    import keras
    from numpy.typing import ArrayLike

    #: ``function(head, features, classes) -> gradients``.
    GradientFunction: TypeAlias = Callable[[Any, np.ndarray, np.ndarray], np.ndarray]

__all__ = ["gradient_function", "logit_gradients"]


def _tensorflow(head, features, classes):
    import tensorflow as tf

    feats = tf.convert_to_tensor(features)
    index = tf.convert_to_tensor(classes[:, None], dtype=tf.int32)
    with tf.GradientTape() as tape:
        tape.watch(feats)
        logits = head(feats, training=False)
        target = tf.reduce_sum(tf.gather(logits, index, batch_dims=1))
    return np.asarray(tape.gradient(target, feats))


def _jax(head, features, classes):
    import jax
    import jax.numpy as jnp

    index = jnp.asarray(classes[:, None])

    def target(feats):
        logits = head(feats, training=False)
        return jnp.sum(jnp.take_along_axis(logits, index, axis=1))

    return np.asarray(jax.grad(target)(jnp.asarray(features)))


def _torch(head, features, classes):
    import torch

    from specauth._lazy import import_keras

    device = import_keras().src.backend.torch.core.get_device()
    feats = torch.tensor(features, device=device, requires_grad=True)
    index = torch.as_tensor(classes[:, None], device=device, dtype=torch.long)
    logits = head(feats, training=False)
    torch.gather(logits, 1, index).sum().backward()
    return feats.grad.detach().cpu().numpy()


_BACKENDS = {"tensorflow": _tensorflow, "jax": _jax, "torch": _torch}


def gradient_function(
    backend: str | None = None, method: str | None = None
) -> GradientFunction:
    """Return the gradient function of a Keras backend (default: the current one).

    Parameters
    ----------
    backend : str or None, default=None
        Name of a Keras backend; None: ``keras.backend.backend()``.
    method : str or None, default=None
        The explanation method that needs the gradients, for the message.

    Returns
    -------
    function : callable
        ``function(head, features, classes)`` as described in the module.

    Raises
    ------
    ValueError
        For a backend without automatic differentiation in specauth (e.g.
        ``"numpy"`` or ``"openvino"``). A ValueError, as for any other value
        that cannot work: the user chose a gradient method
        that the configured backend cannot run, and the fix is another
        ``method`` or another ``KERAS_BACKEND``; the command line reports it as
        one line with exit code 1.

    Examples
    --------
    >>> gradient_function("tensorflow").__name__
    '_tensorflow'
    >>> gradient_function("numpy")
    Traceback (most recent call last):
    ...
    ValueError: method='hirescam' or 'gradcam' needs gradients, ...
    """
    if backend is None:
        from specauth._lazy import import_keras

        backend = import_keras().backend.backend()
    if backend not in _BACKENDS:
        what = "'hirescam' or 'gradcam'" if method is None else repr(method)
        raise ValueError(
            f"method={what} needs gradients, which specauth "
            f"computes on the {', '.join(_BACKENDS)} Keras backends; the Keras "
            f"backend is {backend!r}. Use method='cam' (no gradients; GAP -> "
            "Dense head) or ShapExplainer, or set KERAS_BACKEND to one of "
            f"{list(_BACKENDS)}."
        )
    return _BACKENDS[backend]


def logit_gradients(
    head: keras.Model, features: ArrayLike, classes: ArrayLike
) -> np.ndarray:
    """Return ``d logits[i, classes[i]] / d features[i]`` for every sample ``i``.

    Parameters
    ----------
    head : keras.Model
        Maps feature maps to logits.
    features : ndarray of float32
        Feature maps, batch first.
    classes : ndarray of int
        Class index per sample.

    Returns
    -------
    gradients : ndarray, same shape as ``features``

    Raises
    ------
    ValueError
        On a Keras backend without gradients here (see
        :func:`gradient_function`).
    """
    function = gradient_function()
    features = np.ascontiguousarray(features, dtype=np.float32)
    return function(head, features, np.asarray(classes, dtype=np.int64))
