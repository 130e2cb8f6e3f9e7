"""Gradients of chosen logits with respect to a feature map, per backend.

Each function takes the network's head ``head`` (a Keras model from the
feature map to the logits), a float32 array of feature maps and the class
index per sample, and returns ``d logit[i, classes[i]] / d features[i]`` as a
numpy array of the features' shape. Only the head is differentiated, so the
cost is tiny whatever the size of the (possibly frozen, nested) base.
"""

from __future__ import annotations

import numpy as np

__all__ = ["logit_gradients"]


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


def logit_gradients(head, features, classes):
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
    """
    from specauth._lazy import import_keras

    backend = import_keras().backend.backend()
    if backend not in _BACKENDS:
        raise RuntimeError(
            f"Gradient-based explanations support the tensorflow, jax and torch "
            f"backends; the Keras backend is {backend!r}."
        )
    features = np.ascontiguousarray(features, dtype=np.float32)
    return _BACKENDS[backend](head, features, np.asarray(classes, dtype=np.int64))
