"""Keras network builders for 1D spectra and their registry.

Every builder -- :func:`cnn1d`, :func:`resnet1d` and the variants listed by
:func:`list_models` -- has the signature ``builder(input_shape, n_classes, *,
seed=None, **options)``, with ``input_shape = (length, channels)``, and returns
an uncompiled functional ``keras.Model`` such that

- the output is **logits** (no softmax): the last layer is
  ``Dense(n_classes, name="logits")`` and its input is the embedding
  (``keras.Model(model.inputs, model.get_layer("logits").input)``);
- a global-average-pooling head is the layer ``"gap"``, whose input is the last
  convolutional feature map (for class activation maps);
- the layer after the ``Input`` is ``BatchNormalization(name="input_norm")``
  unless ``input_norm=False``;
- the same ``seed`` gives identical initial weights;
- any length from 1 point to tens of thousands of points works.

The networks use only built-in Keras layers, so a saved ``.keras`` file loads
with ``keras.saving.load_model(path)`` (safe mode) and needs no import of
specauth. Importing this package does not import Keras or TensorFlow.
"""

from specauth.models.cnn1d import cnn1d
from specauth.models.registry import get_model, list_models, register_model
from specauth.models.resnet1d import resnet1d

__all__ = [
    "cnn1d",
    "get_model",
    "list_models",
    "register_model",
    "resnet1d",
]
