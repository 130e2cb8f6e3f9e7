"""Mixed batches of in-memory arrays for Keras: mixup as a ``PyDataset``."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._lazy import import_keras
from specauth._validation import Interval, check_scalar
from specauth.training.mixup import _check_batch, _draw, _mix

if TYPE_CHECKING:
    import keras
    from numpy.typing import ArrayLike
else:
    keras = import_keras()

__all__ = ["MixupBatches"]


class MixupBatches(keras.utils.PyDataset):
    """Batches of ``(x, y)`` mixed by mixup, reshuffled every epoch.

    Every epoch visits each sample once, in an order drawn afresh at each
    epoch (``shuffle=True``). Within a batch, sample ``i`` is mixed with a
    partner ``j`` of the same batch, as :func:`~specauth.training.mixup_batch`
    does: ``lam * x[i] + (1 - lam) * x[j]`` and the same for the targets (and
    sample weights), with ``lam ~ Beta(alpha, alpha)`` per sample. The draws
    of batch ``b`` of epoch ``e`` depend only on ``(seed, e, b)``, so a seed
    gives the same batches however Keras orders or parallelises them.

    Parameters
    ----------
    x : array-like of shape (n_samples, ...)
        Inputs.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        One-hot (or probability) class targets, or real-valued targets.
        Integer class labels are refused: they cannot be mixed.
    batch_size : int, default=32
        Samples per batch; the last batch of an epoch may be smaller.
    alpha : float, default=0.2
        Parameter of the symmetric Beta law of ``lam``, > 0.
    seed : int or None, default=None
        Seed of the order and the draws; None: a fresh one.
    shuffle : bool, default=True
        Reorder the samples at each epoch; False keeps their order (the
        partners and ``lam`` are still drawn).
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Weights of the samples, mixed like the targets and given to Keras as
        the third element of each batch.
    **kwargs
        ``workers``, ``use_multiprocessing``, ``max_queue_size`` of
        ``keras.utils.PyDataset``.

    Attributes
    ----------
    epoch : int
        Epochs completed (``on_epoch_end`` calls).

    References
    ----------
    H. Zhang, M. Cisse, Y. N. Dauphin and D. Lopez-Paz, "mixup: Beyond
    Empirical Risk Minimization", ICLR 2018.

    Examples
    --------
    >>> x = np.eye(4, dtype="float32")
    >>> batches = MixupBatches(x, x, batch_size=2, alpha=0.4, seed=0)
    >>> len(batches)
    2
    >>> x_mixed, y_mixed = batches[0]
    >>> bool(np.allclose(x_mixed, y_mixed)), y_mixed.sum(axis=1).round(3)
    (True, array([1., 1.], dtype=float32))
    """

    def __init__(
        self,
        x: ArrayLike,
        y: ArrayLike,
        batch_size: int = 32,
        alpha: float = 0.2,
        seed: int | None = None,
        shuffle: bool = True,
        sample_weight: ArrayLike | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.alpha = check_scalar(
            "alpha", alpha, Interval(Real, 0, None, "neither"), finite=True
        )
        self.batch_size = check_scalar(
            "batch_size", batch_size, Interval(Integral, 1, None, "left")
        )
        self.x, self.y = _check_batch(x, y)
        self.sample_weight = _check_weights(sample_weight, len(self.x))
        if seed is None:
            seed = int(np.random.default_rng().integers(0, 2**63 - 1))
        self.seed = check_scalar("seed", seed, Interval(Integral, 0, None, "left"))
        self.shuffle = bool(shuffle)
        self.epoch = 0
        self._order = self._epoch_order()

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        if not 0 <= index < len(self):
            raise IndexError(f"Batch {index} out of range: {len(self)} batches.")
        rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        generator = np.random.default_rng([self.seed, self.epoch, index])
        lam, partner = _draw(generator, self.alpha, len(rows))
        batch = [_mix(self.x[rows], lam, partner), _mix(self.y[rows], lam, partner)]
        if self.sample_weight is not None:
            batch.append(_mix(self.sample_weight[rows], lam, partner))
        return tuple(batch)

    def on_epoch_end(self) -> None:
        """Count the epoch and draw the order of the next one."""
        self.epoch += 1
        self._order = self._epoch_order()

    def _epoch_order(self):
        if not self.shuffle:
            return np.arange(len(self.x))
        return np.random.default_rng([self.seed, self.epoch]).permutation(len(self.x))


def _check_weights(sample_weight, n):
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight, dtype=np.float32)
    if weights.shape != (n,) or not np.all(np.isfinite(weights)) or weights.min() < 0:
        raise ValueError(
            f"`sample_weight` must hold {n} finite weights >= 0, one per sample; "
            f"got {weights.shape[0] if weights.ndim else 'a scalar'} of shape "
            f"{weights.shape}."
        )
    return weights
