"""PolarResample and AngularCrossCorrelation: diffraction patterns to C(q, dphi).

The two layers sit together because they are used together (raw pattern ->
polar image -> angular cross-correlation map) and share one convention; each
mirrors one transformer of :mod:`specauth.imaging`.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._lazy import import_keras
from specauth._validation import Interval, check_bool, check_choice, check_scalar
from specauth.imaging.polar import polar_sampling

if TYPE_CHECKING:
    from collections.abc import Sequence

    import keras
else:
    keras = import_keras()
ops = keras.ops

__all__ = ["AngularCrossCorrelation", "PolarResample"]

_NORMALIZE = ("mean", "zero_lag")


def _image_shape(layer, input_shape, what):
    """Return ``(h, w)`` of a ``(batch, h, w)`` or ``(batch, h, w, 1)`` shape."""
    shape = tuple(input_shape)
    if len(shape) not in (3, 4) or (len(shape) == 4 and shape[3] != 1):
        raise ValueError(
            f"{type(layer).__name__} expects {what} of shape (batch, height, width) "
            f"or (batch, height, width, 1); got {shape}."
        )
    if shape[1] is None or shape[2] is None:
        raise ValueError(
            f"{type(layer).__name__} needs the height and width when it is built; "
            f"got input shape {shape}. Give the Input a fixed shape."
        )
    return int(shape[1]), int(shape[2])


def _check_center(center):
    """Return ``center`` as 2 floats (or None); its range is checked in build."""
    if center is None:
        return None
    try:
        row, col = (float(v) for v in center)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"`center` must be a pair (row, col) of numbers or None; got {center!r}."
        ) from err
    return [row, col]


@keras.saving.register_keras_serializable(package="specauth")
class PolarResample(keras.layers.Layer):
    """Resample 2D patterns onto a polar grid ``(radius, angle)`` inside a network.

    The in-network counterpart of :class:`specauth.imaging.PolarTransform`,
    with the same grid and angle convention: output ``(i, j)`` is the pattern
    at radius ``r_i`` (evenly spaced from ``r_min`` to ``r_max``) and angle
    ``phi_j = 2 pi j / n_angles``, at ``(row, col) = (cy + r sin(phi),
    cx + r cos(phi))``. The gather indices and interpolation weights are
    computed once in ``build`` (:func:`specauth.imaging.polar_sampling`) and
    held as constants: nothing is trained or saved but the arguments.

    Input ``(batch, h, w)`` gives float32 ``(batch, n_radii, n_angles)``;
    ``(batch, h, w, 1)`` gives ``(batch, n_radii, n_angles, 1)``.

    Parameters
    ----------
    n_radii : int, default=64
        Number of radii (output rows).
    n_angles : int, default=180
        Number of angles (output columns), at least 2.
    center : (float, float), default=None
        ``(row, col)`` of the centre, inside the pattern; None takes the
        geometric centre. A layer needs a fixed centre: take the one that
        ``PolarTransform(center="auto").fit(X).center_`` finds.
    r_min : float, default=0.0
        Smallest radius, in pixels.
    r_max : float, default=None
        Largest radius, at most the distance from the centre to the nearest
        edge; None takes that distance.
    interpolation : {"bilinear", "nearest"}, default="bilinear"
        How a sample between pixels is read.
    mask : array-like of bool of shape (h, w), default=None
        True marks bad pixels; samples use only the good pixels around them.
    fill_value : float, default=0.0
        Value of samples whose pixels are all masked.
    **kwargs
        Passed to ``keras.layers.Layer`` (``name``, ...).

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``n_radii < 1``, ``n_angles < 2`` or ``r_min < 0``; when built, if
        the input is not ``(batch, h, w)`` or ``(batch, h, w, 1)`` with known
        ``h, w``, or ``center``, ``r_max`` or ``mask`` do not fit the pattern.

    See Also
    --------
    specauth.imaging.PolarTransform : The same resampling in numpy.
    AngularCrossCorrelation : The correlation map of the polar images.

    Examples
    --------
    >>> import numpy as np
    >>> rows, cols = np.mgrid[:9, :9]
    >>> X = np.hypot(rows - 4.0, cols - 4.0)[None]  # I = r about (4, 4)
    >>> images = np.asarray(PolarResample(n_radii=5, n_angles=8)(X))
    >>> images.shape, images.dtype
    ((1, 5, 8), dtype('float32'))
    >>> images[0, :, 0].tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0]
    """

    def __init__(
        self,
        n_radii: int = 64,
        n_angles: int = 180,
        center: Sequence[float] | None = None,
        r_min: float = 0.0,
        r_max: float | None = None,
        interpolation: str = "bilinear",
        mask: Any = None,
        fill_value: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.n_radii = check_scalar("n_radii", n_radii, Interval(Integral, 1, None))
        self.n_angles = check_scalar("n_angles", n_angles, Interval(Integral, 2, None))
        self.center = _check_center(center)
        self.r_min = check_scalar("r_min", r_min, Interval(Real, 0, None), finite=True)
        self.r_max = check_scalar(
            "r_max", r_max, Interval(Real, 0, None, "neither"), allow_none=True
        )
        self.interpolation = check_choice(
            "interpolation", interpolation, ("bilinear", "nearest")
        )
        self.mask = None if mask is None else np.asarray(mask, dtype=bool)
        self.fill_value = check_scalar(
            "fill_value", fill_value, Interval(Real, None, None), finite=True
        )
        self._table: Any = None

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        height, width = _image_shape(self, input_shape, "patterns")
        indices, weights, valid, _, _ = polar_sampling(
            (height, width),
            n_radii=self.n_radii,
            n_angles=self.n_angles,
            center=self.center,
            r_min=self.r_min,
            r_max=self.r_max,
            interpolation=self.interpolation,
            mask=self.mask,
        )
        self._table = (
            ops.convert_to_tensor(indices.astype("int32")),
            ops.convert_to_tensor(weights.astype("float32")),
            ops.convert_to_tensor(valid),
            height * width,
        )
        self.built = True

    def call(self, inputs: Any) -> Any:
        indices, weights, valid, size = self._table
        x = ops.reshape(ops.cast(inputs, "float32"), (-1, size))
        samples = ops.sum(ops.take(x, indices, axis=1) * weights, axis=-1)
        samples = ops.where(valid, samples, self.fill_value)
        shape = (-1, self.n_radii, self.n_angles) + tuple(inputs.shape[3:])
        return ops.reshape(samples, shape)

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        _image_shape(self, input_shape, "patterns")
        shape = tuple(input_shape)
        return (shape[0], self.n_radii, self.n_angles) + shape[3:]

    def compute_output_spec(self, inputs: Any) -> keras.KerasTensor:
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), "float32")

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "n_radii": self.n_radii,
            "n_angles": self.n_angles,
            "center": self.center,
            "r_min": self.r_min,
            "r_max": self.r_max,
            "interpolation": self.interpolation,
            "mask": None if self.mask is None else self.mask.tolist(),
            "fill_value": self.fill_value,
        }


@keras.saving.register_keras_serializable(package="specauth")
class AngularCrossCorrelation(keras.layers.Layer):
    """Angular cross-correlation ``C(q, dphi)`` of polar images, inside a network.

    The in-network counterpart of :class:`specauth.imaging.CrossCorrelationMap`
    (with ``polar=None``): ``C(q, dphi) = <I(q, phi) I(q, phi + dphi)>_phi``
    along the last (angle) axis, by FFT, ``irfft(|rfft(I)|**2) / n_angles``,
    with the same normalisations (see
    :func:`specauth.imaging.angular_correlation`). Put it after
    :class:`PolarResample` to feed a network raw patterns.

    Input ``(batch, n_radii, n_angles)`` gives float32
    ``(batch, n_radii, n_lags)``; ``(batch, n_radii, n_angles, 1)`` gives
    ``(batch, n_radii, n_lags, 1)``; ``n_lags`` is ``n_angles``, or
    ``n_angles // 2 + 1`` with ``half``.

    Parameters
    ----------
    normalize : {None, "mean", "zero_lag"}, default="mean"
        None: raw ``C``; "mean": ``(C - <I>_phi**2) / <I>_phi**2``;
        "zero_lag": ``C / C(q, 0)``. Rings with a zero denominator give 0.
    half : bool, default=False
        Keep only the lags ``0 <= dphi <= pi``; ``C`` is symmetric in ``dphi``.
    **kwargs
        Passed to ``keras.layers.Layer`` (``name``, ...).

    Raises
    ------
    TypeError
        If ``normalize`` is not a str or None, or ``half`` not a bool.
    ValueError
        If ``normalize`` is unknown; when built, if the input is not
        ``(batch, n_radii, n_angles)`` or ``(batch, n_radii, n_angles, 1)``
        with a known ``n_angles``.

    See Also
    --------
    specauth.imaging.CrossCorrelationMap : The same map in numpy.
    PolarResample : Patterns to polar images.

    Notes
    -----
    Computed in float32 with ``keras.ops.rfft`` / ``irfft``; the "mean"
    normalisation correlates the fluctuations ``I - <I>_phi``, which avoids
    the cancellation of ``C - <I>**2``.

    References
    ----------
    J. Zimmermann et al., "Deep neural networks for classifying complex
    features in diffraction images", Phys. Rev. E 99, 063309 (2019).

    Examples
    --------
    >>> import numpy as np
    >>> polar = np.array([[[1.0, 2.0, 1.0, 2.0], [3.0, 3.0, 3.0, 3.0]]])
    >>> np.asarray(AngularCrossCorrelation()(polar))[0].round(4)
    array([[ 0.1111, -0.1111,  0.1111, -0.1111],
           [ 0.    ,  0.    ,  0.    ,  0.    ]], dtype=float32)
    """

    def __init__(
        self, normalize: str | None = "mean", half: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.normalize = check_choice(
            "normalize", normalize, _NORMALIZE, allow_none=True
        )
        self.half = check_bool("half", half)

    def _n_angles(self, input_shape):
        n_radii, n_angles = _image_shape(self, input_shape, "polar images")
        return n_angles

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if self._n_angles(input_shape) < 2:
            raise ValueError(
                "AngularCrossCorrelation needs at least 2 angles (last axis of "
                f"the polar images); got input shape {tuple(input_shape)}."
            )
        self.built = True

    def call(self, inputs: Any) -> Any:
        x = ops.cast(inputs, "float32")
        channel = len(x.shape) == 4
        if channel:
            x = ops.squeeze(x, axis=-1)
        n_angles = int(x.shape[-1])
        mean = ops.mean(x, axis=-1, keepdims=True)
        if self.normalize == "mean":
            x = x - mean
        real, imag = ops.rfft(x)
        power = real * real + imag * imag
        corr = ops.irfft((power, ops.zeros_like(power)), fft_length=n_angles)
        corr = corr / float(n_angles)
        if self.normalize is not None:
            scale = mean * mean if self.normalize == "mean" else corr[..., :1]
            positive = ops.greater(scale, 0.0)
            safe = ops.where(positive, scale, ops.ones_like(scale))
            corr = ops.where(positive, corr / safe, ops.zeros_like(corr))
        if self.half:
            corr = corr[..., : n_angles // 2 + 1]
        return ops.expand_dims(corr, -1) if channel else corr

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        n_angles = self._n_angles(input_shape)
        shape = tuple(input_shape)
        n_lags = n_angles // 2 + 1 if self.half else n_angles
        return shape[:2] + (n_lags,) + shape[3:]

    def compute_output_spec(self, inputs: Any) -> keras.KerasTensor:
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), "float32")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "normalize": self.normalize, "half": self.half}
