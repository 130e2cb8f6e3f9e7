"""PatternAugmentation: training-only augmentation of 2D diffraction patterns."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras
from specauth._validation import (
    Interval,
    check_bool,
    check_random_state_value,
    check_scalar,
)

if TYPE_CHECKING:
    import keras
else:
    keras = import_keras()
ops = keras.ops

__all__ = ["PatternAugmentation"]

_FRACTION = Interval(Real, 0, 1, closed="left")


def _derived(seed: int | None, offset: int) -> int | None:
    return None if seed is None else (seed + offset) % (2**31 - 1)


@keras.saving.register_keras_serializable(package="specauth")
class PatternAugmentation(keras.layers.Layer):
    """Random rotation, flips, shifts, intensity scaling and counting noise.

    Augments a batch of patterns ``(batch, height, width, channels)`` during
    training only (``training=True``, as ``Model.fit`` calls it); at
    inference the layer returns its input unchanged. In this order:

    1. rotation by an angle drawn uniformly in ``[-rotation, rotation]``
       degrees (``keras.layers.RandomRotation``, bilinear, zero fill):
       patterns have no preferred orientation, so the default is any angle;
    2. a horizontal and a vertical flip, each with probability 1/2
       (``keras.layers.RandomFlip``);
    3. a shift by up to ``shift`` of the height and of the width
       (``keras.layers.RandomTranslation``, zero fill);
    4. each pattern multiplied by a factor drawn in
       ``[1 - intensity, 1 + intensity]``;
    5. with ``poisson`` given, counting noise: ``x`` is replaced by
       ``max(0, x + sqrt(max(x, 0) / poisson) * z)``, ``z`` standard normal.

    Step 5 is the Gaussian approximation of Poisson resampling,
    ``Poisson(poisson * x) / poisson``: the same mean ``x`` and variance
    ``x / poisson`` (``keras.random`` has no Poisson sampler on every
    backend). It is close for patterns of ``poisson * x`` above about 10
    counts per pixel; below, clipping at 0 raises the mean of the faintest
    pixels slightly.

    Parameters
    ----------
    rotation : float, default=180.0
        Largest rotation angle in degrees, in [0, 180]; 0 for none.
    flip : bool, default=True
        Whether to flip patterns at random.
    shift : float, default=0.05
        Largest shift, as a fraction of the height and width, in [0, 1);
        0 for none.
    intensity : float, default=0.1
        Largest relative change of the overall intensity, in [0, 1); 0 for
        none.
    poisson : float or None, default=None
        Counts per unit of the input for the counting noise (``1.0`` when the
        input is raw counts); None for none.
    seed : int or None, default=None
        Seed of the random draws.
    **kwargs
        Passed to ``keras.layers.Layer`` (``name``...).

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or is out of range.

    See Also
    --------
    specauth.models.resnet2d : Its ``augment`` option puts this layer after
        the input.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.models.layers import PatternAugmentation
    >>> x = np.random.default_rng(0).random((2, 16, 16, 1)).astype("float32")
    >>> layer = PatternAugmentation(poisson=100.0, seed=0)
    >>> bool(np.array_equal(np.asarray(layer(x, training=False)), x))
    True
    >>> bool(np.array_equal(np.asarray(layer(x, training=True)), x))
    False
    """

    def __init__(
        self,
        rotation: float = 180.0,
        flip: bool = True,
        shift: float = 0.05,
        intensity: float = 0.1,
        poisson: float | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.rotation = float(
            check_scalar("rotation", rotation, Interval(Real, 0, 180))
        )
        self.flip = check_bool("flip", flip)
        self.shift = float(check_scalar("shift", shift, _FRACTION))
        self.intensity = float(check_scalar("intensity", intensity, _FRACTION))
        if poisson is not None:
            positive = Interval(Real, 0, None, closed="neither")
            poisson = float(check_scalar("poisson", poisson, positive))
        self.poisson = poisson
        self.seed = check_random_state_value("seed", seed, high=None, generators=False)
        self._build_steps()

    def _build_steps(self) -> None:
        layers = keras.layers
        self._steps = []
        if self.rotation > 0:
            self._steps.append(
                layers.RandomRotation(
                    self.rotation / 360.0,
                    fill_mode="constant",
                    seed=_derived(self.seed, 1),
                    name="rotation",
                )
            )
        if self.flip:
            self._steps.append(
                layers.RandomFlip(
                    "horizontal_and_vertical", seed=_derived(self.seed, 2), name="flip"
                )
            )
        if self.shift > 0:
            self._steps.append(
                layers.RandomTranslation(
                    self.shift,
                    self.shift,
                    fill_mode="constant",
                    seed=_derived(self.seed, 3),
                    name="shift",
                )
            )
        self._generator = keras.random.SeedGenerator(_derived(self.seed, 4))
        # Keras marks RandomRotation and RandomTranslation ``supports_jit =
        # False`` on every backend because TensorFlow's image transform has no
        # XLA kernel; a model holding one is then never compiled, and with
        # ``jit_compile="auto"`` JAX trains it op by op (about 15 times
        # slower). Their JAX implementation (``map_coordinates``) compiles.
        if keras.backend.backend() == "jax":
            for step in self._steps:
                step.supports_jit = True

    def build(self, input_shape: Any) -> None:
        for step in self._steps:
            step.build(input_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if not training:
            return inputs
        x = inputs
        for step in self._steps:
            x = step(x, training=True)
        if self.intensity > 0:
            factor = keras.random.uniform(
                (ops.shape(x)[0], 1, 1, 1),
                1.0 - self.intensity,
                1.0 + self.intensity,
                dtype=x.dtype,
                seed=self._generator,
            )
            x = x * factor
        if self.poisson is not None:
            noise = keras.random.normal(
                ops.shape(x), dtype=x.dtype, seed=self._generator
            )
            x = ops.relu(x + ops.sqrt(ops.relu(x) / self.poisson) * noise)
        return x

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = {
            "rotation": self.rotation,
            "flip": self.flip,
            "shift": self.shift,
            "intensity": self.intensity,
            "poisson": self.poisson,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}
