"""SpectrumAugmentation: training-only, physically plausible augmentation of spectra."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras
from specauth._validation import Interval, check_random_state_value, check_scalar

if TYPE_CHECKING:
    import keras
else:
    keras = import_keras()
ops = keras.ops

__all__ = ["SpectrumAugmentation"]

_NON_NEGATIVE = Interval(Real, 0, None, closed="left", finite=True)
_SCALE = Interval(Real, 0, 1, closed="left")
_POSITIVE = Interval(Real, 0, None, closed="neither", finite=True)


def _shift(x: Any, shifts: Any) -> Any:
    """Shift ``x`` (batch, length, channels) by ``shifts`` (batch,) points.

    ``out[i, j] = x[i, j - shifts[i]]`` by linear interpolation, with edge
    padding: :func:`specauth.preprocessing.shift_spectra` in ``keras.ops``.
    """
    length = x.shape[1] if x.shape[1] is not None else ops.shape(x)[1]
    positions = ops.cast(ops.arange(length), x.dtype)
    last = ops.cast(length - 1, x.dtype)
    where = ops.clip(positions[None, :] - shifts[:, None], 0.0, last)
    left = ops.floor(where)
    weight = (where - left)[:, :, None]
    left = ops.cast(left, "int32")
    right = ops.minimum(left + 1, ops.cast(length - 1, "int32"))
    target = ops.shape(x)
    x_left = ops.take_along_axis(x, ops.broadcast_to(left[:, :, None], target), 1)
    x_right = ops.take_along_axis(x, ops.broadcast_to(right[:, :, None], target), 1)
    return (1.0 - weight) * x_left + weight * x_right


@keras.saving.register_keras_serializable(package="specauth")
class SpectrumAugmentation(keras.layers.Layer):
    """Random shift, scaling, baseline drift and noise of spectra, in training.

    Augments a batch of spectra ``(batch, length, channels)`` during
    training only (``training=True``, as ``Model.fit`` calls it); at
    inference (``training`` False or None) the layer returns its input
    unchanged. Each spectrum draws its own values; the channels of a
    spectrum share them. In this order:

    1. a shift by ``s ~ U(-shift, shift)`` points, a real number: the value
       at position ``j`` becomes the input's at ``j - s``, by linear
       interpolation between the two nearest points (sub-point shifts of
       narrow peaks matter), edges padded with the edge value;
    2. multiplication by a factor ``f ~ U(1 - scale, 1 + scale)`` (mean 1,
       standard deviation ``scale / sqrt(3)``; always positive);
    3. addition of a baseline ``(a + b * t) * sd``: ``a ~ N(0, offset**2)``,
       ``b ~ N(0, slope**2)``, ``t`` the position along the axis mapped
       linearly onto ``[-1, 1]``, ``sd`` the standard deviation of the input
       spectrum along its axis (per channel), so that the strengths do not
       depend on the units of the data;
    4. addition of Gaussian noise of standard deviation ``noise * sd``,
       independent at each point;
    5. with ``poisson`` given, counting noise: ``x`` is replaced by
       ``max(0, x + sqrt(max(x, 0) / poisson) * z)``, ``z`` standard normal.

    Step 5 is the Gaussian approximation of Poisson resampling,
    ``Poisson(poisson * x) / poisson`` (``keras.random`` has no Poisson
    sampler on every backend; :func:`specauth.preprocessing.perturb_spectra`
    samples the exact Poisson law): the same mean ``x`` and variance
    ``x / poisson``. It is close for ``poisson * x`` above about 10 counts
    per point; below, the true law is skewed and discrete (0 counts has
    probability ``exp(-poisson * x)``), and clipping at 0 raises the mean of
    the faintest points slightly.

    A strength of 0 (``None`` for ``poisson``) turns its transform off. The
    defaults are the ``"spectra"`` preset;
    :func:`specauth.preprocessing.augmentation_preset` gives strengths for
    counts (gamma, XRD) and absorbance spectra (NIR):
    ``SpectrumAugmentation(**augmentation_preset("counts"), seed=0)``.

    Parameters
    ----------
    shift : float, default=1.0
        Largest shift, in points, >= 0.
    scale : float, default=0.05
        Largest relative change of intensity, in [0, 1).
    offset : float, default=0.05
        Standard deviation of the baseline offset ``a``, in units of each
        spectrum's standard deviation, >= 0.
    slope : float, default=0.05
        Standard deviation of the baseline slope ``b``, in the same units,
        >= 0 (the baseline changes by ``2 * b * sd`` across the spectrum).
    noise : float, default=0.01
        Standard deviation of the Gaussian noise relative to each spectrum's
        standard deviation, >= 0.
    poisson : float or None, default=None
        Counts per unit of the input for the counting noise (``1.0`` when the
        input is raw counts), > 0; None for none.
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
    specauth.preprocessing.augmentation_preset : Strengths for kinds of
        spectra.
    specauth.preprocessing.perturb_spectra : The same perturbations in numpy.
    PatternAugmentation : Augmentation of 2D patterns.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.models.layers import SpectrumAugmentation
    >>> x = np.random.default_rng(0).random((2, 64, 1)).astype("float32")
    >>> layer = SpectrumAugmentation(seed=0)
    >>> bool(np.array_equal(np.asarray(layer(x, training=False)), x))
    True
    >>> bool(np.array_equal(np.asarray(layer(x, training=True)), x))
    False
    """

    def __init__(
        self,
        shift: float = 1.0,
        scale: float = 0.05,
        offset: float = 0.05,
        slope: float = 0.05,
        noise: float = 0.01,
        poisson: float | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.shift = float(check_scalar("shift", shift, _NON_NEGATIVE))
        self.scale = float(check_scalar("scale", scale, _SCALE))
        self.offset = float(check_scalar("offset", offset, _NON_NEGATIVE))
        self.slope = float(check_scalar("slope", slope, _NON_NEGATIVE))
        self.noise = float(check_scalar("noise", noise, _NON_NEGATIVE))
        if poisson is not None:
            poisson = float(check_scalar("poisson", poisson, _POSITIVE))
        self.poisson = poisson
        self.seed = check_random_state_value("seed", seed, high=None, generators=False)
        self._generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape: Any) -> None:
        if len(input_shape) != 3:
            raise ValueError(
                "SpectrumAugmentation expects spectra of shape (batch, length, "
                f"channels); got input_shape={tuple(input_shape)}."
            )

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if not training:
            return inputs
        x = inputs
        batch = ops.shape(x)[0]
        sd = ops.std(inputs, axis=1, keepdims=True)
        if self.shift > 0:
            shifts = self._uniform((batch,), self.shift, x.dtype)
            x = _shift(x, shifts)
        if self.scale > 0:
            x = x * (1.0 + self._uniform((batch, 1, 1), self.scale, x.dtype))
        if self.offset > 0 or self.slope > 0:
            x = x + self._baseline(batch, x) * sd
        if self.noise > 0:
            z = keras.random.normal(ops.shape(x), dtype=x.dtype, seed=self._generator)
            x = x + z * (self.noise * sd)
        if self.poisson is not None:
            z = keras.random.normal(ops.shape(x), dtype=x.dtype, seed=self._generator)
            x = ops.relu(x + ops.sqrt(ops.relu(x) / self.poisson) * z)
        return x

    def _uniform(self, shape: Any, half_width: float, dtype: Any) -> Any:
        return keras.random.uniform(
            shape, -half_width, half_width, dtype=dtype, seed=self._generator
        )

    def _baseline(self, batch: Any, x: Any) -> Any:
        """``a + b * t`` of shape (batch, length, 1), ``t`` in [-1, 1]."""
        length = x.shape[1] if x.shape[1] is not None else ops.shape(x)[1]
        t = ops.cast(ops.linspace(-1.0, 1.0, length), x.dtype)[None, :, None]
        ab = keras.random.normal((2, batch, 1, 1), dtype=x.dtype, seed=self._generator)
        return ab[0] * self.offset + ab[1] * self.slope * t

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = {
            "shift": self.shift,
            "scale": self.scale,
            "offset": self.offset,
            "slope": self.slope,
            "noise": self.noise,
            "poisson": self.poisson,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}
