"""A Keras ``PyDataset`` that images spectra batch by batch for ``model.fit``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from specauth._lazy import import_keras
from specauth._validation import check_is_fitted, check_spectra

if TYPE_CHECKING:
    import keras
    from numpy.typing import ArrayLike

    from specauth.imaging._base import BaseImager
else:
    keras = import_keras()

__all__ = ["ImageSequence"]


class ImageSequence(keras.utils.PyDataset):
    """Feed ``model.fit`` / ``predict`` with images made one batch at a time.

    No more than one batch of images exists at a time, so any number of
    spectra can be used at any image size.

    Parameters
    ----------
    transformer : imaging transformer
        A :class:`GramianAngularField`, :class:`MarkovTransitionField`,
        :class:`RecurrencePlot` or :class:`StackedFields`; used as is if
        fitted, else a clone is fitted on ``X`` (the caller's object is never
        changed).
    X : array-like of shape (n_samples, n_points)
        Spectra.
    y : array-like of shape (n_samples, ...), default=None
        Targets; batches are ``images`` alone when None, else
        ``(images, y_batch)``.
    batch_size : int, default=32
        Spectra per batch.
    shuffle : bool, default=False
        Draw a new order of the spectra at the end of every epoch.
    random_state : int or None, default=None
        Seed of the shuffling.
    **kwargs
        Passed to ``keras.utils.PyDataset`` (``workers``,
        ``use_multiprocessing``, ``max_queue_size``).

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.imaging import GramianAngularField, ImageSequence
    >>> X = np.random.default_rng(0).normal(size=(5, 40))
    >>> seq = ImageSequence(GramianAngularField(16), X, np.arange(5), batch_size=2)
    >>> len(seq), seq[2][0].shape, seq[2][1].tolist()
    (3, (1, 16, 16, 1), [4])
    """

    def __init__(
        self,
        transformer: BaseImager,
        X: ArrayLike,
        y: ArrayLike | None = None,
        batch_size: int = 32,
        *,
        shuffle: bool = False,
        random_state: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int):
            raise TypeError(f"`batch_size` must be an int; got {batch_size!r}.")
        if batch_size < 1:
            raise ValueError(f"`batch_size` must be >= 1; got {batch_size}.")
        if not hasattr(transformer, "iter_transform"):
            raise TypeError(
                "`transformer` must be a specauth.imaging transformer; "
                f"got {type(transformer).__name__}."
            )
        self.X = check_spectra(X, dtype=None)
        self.y = None if y is None else np.asarray(y)
        if self.y is not None and len(self.y) != len(self.X):
            raise ValueError(
                f"`y` must have one entry per spectrum ({len(self.X)}); "
                f"got {len(self.y)}."
            )
        try:
            check_is_fitted(transformer)
            self.transformer = transformer
        except NotFittedError:
            self.transformer = clone(transformer).fit(self.X)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self._rng = np.random.default_rng(random_state)
        self._order = np.arange(len(self.X))

    def __len__(self) -> int:
        return math.ceil(len(self.X) / self.batch_size)

    def __getitem__(self, index: int) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        if not 0 <= index < len(self):
            raise IndexError(f"batch index {index} out of range [0, {len(self)}).")
        rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        images = self.transformer.transform(self.X[rows])
        if self.y is None:
            return images
        return images, self.y[rows]

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self._order = self._rng.permutation(len(self.X))
