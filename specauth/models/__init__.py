"""Keras network builders for 1D spectra and 2D patterns, and their registry.

Every builder -- :func:`cnn1d`, :func:`resnet1d`, :func:`inception_time`,
:func:`lite` and the variants listed by :func:`list_models` -- has the signature
``builder(input_shape, n_classes, *, seed=None, **options)``, with ``input_shape
= (length, channels)``, and returns an uncompiled functional ``keras.Model``
such that

- the output is **logits** (no softmax): the last layer is
  ``Dense(n_classes, name="logits")`` and its input is the embedding
  (``keras.Model(model.inputs, model.get_layer("logits").input)``);
- a global-average-pooling head is the layer ``"gap"``, whose input is the last
  convolutional feature map (for class activation maps);
- the layer after the ``Input`` is ``BatchNormalization(name="input_norm")``
  (``input_norm="batch"``, the default); ``input_norm="standard"``
  standardises every point with the training data's statistics instead
  (layer ``"input_std"``, set by
  :func:`specauth.training.adapt_normalization`), False none;
  ``derivative=True`` first appends each channel's first derivative; then
  comes the layer ``"position"``
  (:func:`~specauth.models.layers.fixed_position_channel`, a frozen built-in
  layer appending a ``-1 -> 1`` position ramp as an extra channel) unless
  ``position_channel=False``;
- the same ``seed`` gives identical initial weights;
- any length from 1 point to tens of thousands of points works.

For 2D diffraction patterns ``(height, width, channels)`` of any size,
:func:`resnet2d` and :func:`vgg2d` are small networks trained from scratch
on a strided stem, with the same ``"gap"`` and ``"logits"`` head (so
:class:`~specauth.explain.CAM2D` explains them); their ``augment`` option
puts a training-only
:class:`~specauth.models.layers.PatternAugmentation` after the input. Every
builder takes ``log_activation=True``, which makes the activation after the
first convolution a :class:`~specauth.models.layers.LogActivation`.

2D networks on pretrained ``keras.applications`` bases come from
:class:`CNNFactory`; each base of :func:`list_bases` is also registered as a
builder under its name (``get_model("mobilenetv2")``), taking spectra with
``imaging="gasf"`` or images ``(height, width, channels)``.

The 1D networks (:func:`cnn1d`, :func:`resnet1d`, :func:`inception_time`,
:func:`lite`, whose hand-crafted filters are frozen ``Conv1D`` layers), the
pattern networks and the 2D networks of :class:`CNNFactory` taking images are
made of built-in Keras
layers only (the position ramp, the channel adapter and the pixel scaling are
frozen or learned ``EinsumDense`` layers): their saved ``.keras`` file loads
with plain ``keras.saving.load_model(path)`` (safe mode) without specauth. Only a 2D
network that images spectra on the device (``imaging="gasf"`` or ``"gadf"``)
holds a custom layer, the
:class:`~specauth.models.layers.GramianAngularLayer`, and so does a network
built with ``log_activation=True`` or ``augment``; such a file loads once
``specauth.models.layers`` has been imported, which registers them with Keras.
Importing this package does not import Keras or TensorFlow.
"""

from __future__ import annotations

from specauth.models.applications import list_bases
from specauth.models.cnn1d import cnn1d
from specauth.models.factory import CNNFactory
from specauth.models.inception_time import inception_time
from specauth.models.lite import lite
from specauth.models.precision import dtype_policy_scope, float32_head
from specauth.models.registry import get_model, list_models, register_model
from specauth.models.resnet1d import resnet1d
from specauth.models.resnet2d import resnet2d
from specauth.models.vgg2d import vgg2d
from specauth.models.xresnet import xresnet1d, xresnet2d

__all__ = [
    "CNNFactory",
    "cnn1d",
    "dtype_policy_scope",
    "float32_head",
    "inception_time",
    "lite",
    "list_bases",
    "get_model",
    "list_models",
    "register_model",
    "resnet1d",
    "resnet2d",
    "vgg2d",
    "xresnet1d",
    "xresnet2d",
]
