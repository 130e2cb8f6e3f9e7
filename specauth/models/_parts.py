"""Layer groups shared by the builders: the input and the classification head.

Both builders start with :func:`spectrum_input` and end with
:func:`logits_head`, so every registered network has the same contract:

- with ``derivative=True`` the first derivative of each channel is appended
  as a channel (frozen central differences, layer ``"derivative"``);
- then ``BatchNormalization(name="input_norm")`` (``input_norm="batch"`` or
  True), which standardises the raw input scale, or
  ``Normalization(name="input_std")`` (``input_norm="standard"``), which
  standardises every point of every channel with the training data's mean
  and standard deviation (set by
  :func:`specauth.training.adapt_normalization`);
- the next one is a frozen built-in ``EinsumDense`` layer named
  ``"position"`` (when ``position_channel=True``,
  :func:`~specauth.models.layers.fixed_position_channel`), which appends a
  position ramp as an extra channel;
- a global-average-pooling head is named ``"gap"``;
- the last layer is ``Dense(n_classes, name="logits")`` without activation,
  and its input is the embedding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from specauth.models._seeds import SeedStream

if TYPE_CHECKING:
    from types import ModuleType

__all__ = [
    "BN_MOMENTUM",
    "batch_norm",
    "derivative_channels",
    "logits_head",
    "spectrum_input",
]

#: Momentum of every BatchNormalization layer. Keras's default (0.99) needs
#: hundreds of steps before the moving statistics used at inference match the
#: data; with small data sets (a few batches per epoch) that is most of the
#: training run, so we use PyTorch's default (0.9 in Keras terms).
BN_MOMENTUM = 0.9


def batch_norm(keras: ModuleType, name: str) -> Any:
    """Return a ``BatchNormalization`` layer with the shared momentum."""
    return keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name=name)


def derivative_channels(keras: ModuleType, x: Any, channels: int) -> Any:
    """Append the first derivative of each of ``channels`` channels to ``x``.

    Central differences ``(x[i + 1] - x[i - 1]) / 2`` by a frozen, bias-free
    ``Conv1D`` (one group per channel, layer ``"derivative"``), 0 at the first
    and the last point (``"derivative_pad"``), concatenated after the input
    channels (``"with_derivative"``). Built-in layers only.
    """
    import numpy as np

    kernel = np.zeros((3, 1, channels))
    kernel[0], kernel[2] = -0.5, 0.5
    slope = keras.layers.Conv1D(
        channels,
        3,
        groups=channels,
        use_bias=False,
        kernel_initializer=keras.initializers.Constant(kernel.tolist()),
        trainable=False,
        name="derivative",
    )(x)
    slope = keras.layers.ZeroPadding1D(1, name="derivative_pad")(slope)
    return keras.layers.Concatenate(name="with_derivative")([x, slope])


def spectrum_input(
    keras: ModuleType,
    input_shape: tuple[int, int],
    input_norm: str | None,
    position_channel: bool = False,
    derivative: bool = False,
) -> tuple[Any, Any]:
    """Return ``(inputs, x)``: the ``Input``, its normalisation and position.

    ``derivative`` first appends each channel's first derivative
    (:func:`derivative_channels`; not for inputs of fewer than 3 points),
    which brings out small changes of shape on a large common curve.
    ``input_norm="batch"``: ``BatchNormalization`` over the channel axis
    standardises each channel with statistics over the batch and all
    positions, so raw counts (values of
    thousands) and log-spectra (values around -10) reach the first convolution
    on the same scale. ``input_norm="standard"``: a ``Normalization`` layer
    over positions and channels, the per-point standardisation of
    scikit-learn's ``StandardScaler``, whose statistics
    :func:`specauth.training.adapt_normalization` sets from the training data
    (the estimators and ``fit_network`` do). ``position_channel`` then
    appends a ``-1 -> 1``
    position ramp (layer ``"position"``,
    :func:`~specauth.models.layers.fixed_position_channel`: built-in Keras
    layers only, so the network loads without specauth) so that a GAP network
    can tell *where* a peak is.
    """
    inputs = keras.Input(shape=input_shape, name="spectrum")
    length, channels = input_shape
    x = inputs
    if derivative and length >= 3:  # central differences need 3 points
        x = derivative_channels(keras, x, channels)
        channels *= 2
    if input_norm == "batch":
        x = batch_norm(keras, "input_norm")(x)
    elif input_norm == "standard":
        x = keras.layers.Normalization(axis=(1, 2), name="input_std")(x)
    if position_channel:
        from specauth.models.layers import fixed_position_channel

        x = fixed_position_channel(length, channels, name="position")(x)
    return inputs, x


def logits_head(
    keras: ModuleType,
    features: Any,
    n_classes: int,
    *,
    head: str,
    dense_units: int | None,
    dropout: float,
    seeds: SeedStream,
) -> Any:
    """Return the logits of ``features`` (a ``(batch, positions, filters)`` map).

    ``head="gap"`` averages over positions (layer ``"gap"``); ``"flatten"``
    concatenates all positions (layer ``"flatten"``). Then an optional
    ``Dense(dense_units, relu)`` layer ``"dense"``, an optional ``Dropout``
    ``"dropout"`` and ``Dense(n_classes, name="logits")``.
    """
    layers = keras.layers
    if head == "gap":
        x = layers.GlobalAveragePooling1D(name="gap")(features)
    else:
        x = layers.Flatten(name="flatten")(features)
    if dense_units is not None:
        x = layers.Dense(
            dense_units,
            activation="relu",
            kernel_initializer=keras.initializers.HeUniform(seed=seeds.next()),
            name="dense",
        )(x)
    if dropout > 0:
        x = layers.Dropout(dropout, seed=seeds.next(), name="dropout")(x)
    return layers.Dense(
        n_classes,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seeds.next()),
        name="logits",
    )(x)
