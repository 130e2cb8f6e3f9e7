"""Shared machinery of the imaging transformers: validation, batching, streaming."""

from __future__ import annotations

from numbers import Integral
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from specauth._validation import (
    FLOATS,
    Interval,
    Options,
    check_is_fitted,
    check_params,
    check_scalar,
    validate_data,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from numpy.typing import ArrayLike

__all__ = ["BaseImager"]

_Imager = TypeVar("_Imager", bound="BaseImager")


class BaseImager(TransformerMixin, BaseEstimator):
    """Turn each spectrum into a square image, ``batch_size`` spectra at a time.

    Subclasses implement ``_size(n_points)`` (the image side, validated) and
    ``_field(X, out)``, which writes the images of the float64 spectra ``X``
    of shape ``(b, n_points)`` into ``out`` of shape ``(b, size, size)``
    (a possibly strided view of the output). Optionally override
    ``_channels()`` and ``_write(X, out)`` to fill several channels.
    """

    _parameter_constraints = {
        "image_size": [Interval(Integral, 1, None, closed="left"), None],
        "n_channels": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "dtype": [Options(str, {"float32", "float64"})],
    }

    def fit(self: _Imager, X: ArrayLike, y: ArrayLike | None = None) -> _Imager:
        """Check the parameters and ``X``; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)
            Spectra, one per row.
        y : None
            Ignored; present for pipeline compatibility.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        check_params(self)
        X_checked = validate_data(self, X, reset=True, dtype=FLOATS)
        self._size(X_checked.shape[1])
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Image every spectrum of ``X`` into one new array.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)
            Spectra, one per row.

        Returns
        -------
        images : ndarray of shape (n_samples, size, size, channels)
            ``size`` is ``image_size`` (or ``n_points``); dtype ``dtype``.
        """
        X = self._validate(X)
        out = np.empty(self._out_shape(X), dtype=self.dtype)
        for _ in self._chunks(X, self.batch_size, out, reuse=False):
            pass
        return out

    def iter_transform(
        self,
        X: ArrayLike,
        batch_size: int | None = None,
        out: np.ndarray | None = None,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Image ``X`` chunk by chunk into one reused buffer (bounded memory).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)
            Spectra, one per row.
        batch_size : int, default=None
            Spectra per chunk; defaults to ``len(out)`` when ``out`` is given,
            else to the ``batch_size`` parameter.
        out : ndarray of shape (k, size, size, channels), default=None
            Buffer to write into (dtype ``dtype``, C-contiguous); a new one of
            ``batch_size`` images is allocated once when None.

        Yields
        ------
        start : int
            Index in ``X`` of the chunk's first spectrum.
        images : ndarray of shape (m, size, size, channels)
            A view of the buffer, overwritten by the next chunk: copy it
            to keep it.
        """
        X = self._validate(X)
        shape = self._out_shape(X)
        batch_size = self._check_chunking(batch_size, out, shape)
        if out is None:
            out = np.empty((min(batch_size, shape[0]),) + shape[1:], self.dtype)
        return self._chunks(X, batch_size, out, reuse=True)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        # The output dtype is the `dtype` parameter, whatever the input dtype.
        tags.transformer_tags.preserves_dtype = []
        return tags

    def _validate(self, X):
        check_is_fitted(self)
        check_params(self)
        X = validate_data(self, X, reset=False, dtype=FLOATS)
        self._size(X.shape[1])
        return X

    def _channels(self):
        return self.n_channels

    def _out_shape(self, X):
        size = self._size(X.shape[1])
        return (X.shape[0], size, size, self._channels())

    def _write(self, X, out):
        self._field(X, out[..., 0])
        if out.shape[-1] > 1:
            out[..., 1:] = out[..., :1]

    def _chunks(self, X, batch_size, out, reuse):
        for start in range(0, X.shape[0], batch_size):
            stop = min(start + batch_size, X.shape[0])
            view = out[: stop - start] if reuse else out[start:stop]
            self._write(np.asarray(X[start:stop], dtype=np.float64), view)
            yield start, view

    def _check_chunking(self, batch_size, out, shape):
        check_scalar(
            "batch_size", batch_size, Interval(Integral, 1, None), allow_none=True
        )
        if out is None:
            return self.batch_size if batch_size is None else batch_size
        if not isinstance(out, np.ndarray):
            raise TypeError(f"`out` must be a numpy array; got {type(out).__name__}.")
        if out.shape[1:] != shape[1:] or out.dtype != np.dtype(self.dtype):
            raise ValueError(
                f"`out` must have shape (k, {', '.join(map(str, shape[1:]))}) and "
                f"dtype {self.dtype}; got shape {out.shape} and dtype {out.dtype}."
            )
        if len(out) < 1 or not out.flags.c_contiguous or not out.flags.writeable:
            raise ValueError(
                "`out` must be a writeable C-contiguous array of at least one image."
            )
        if batch_size is not None and batch_size > len(out):
            raise ValueError(
                f"`batch_size` must be <= len(out) = {len(out)}; got {batch_size}."
            )
        return len(out) if batch_size is None else batch_size


def check_image_size(
    image_size: int | None,
    n_points: int,
    what: str = "the number of points per spectrum",
) -> int:
    """Return the image side: ``image_size`` or ``n_points`` when None."""
    if image_size is None:
        return n_points
    if image_size > n_points:
        raise ValueError(
            f"`image_size` must be <= {what} ({n_points}); got {image_size}. "
            "Images can only be downsampled."
        )
    return image_size
