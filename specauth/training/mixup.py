"""Mixup of a batch of spectra and their targets (Zhang et al., 2018), in numpy.

:class:`~specauth.training.MixupBatches` serves such batches to Keras for
:func:`~specauth.training.loop.fit_network`'s ``mixup=alpha``. This module
does not import Keras.
"""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING

import numpy as np

from specauth._validation import Interval, check_random_state_value, check_scalar

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["mixup_batch"]

_ALPHA = Interval(Real, 0, None, closed="neither", finite=True)


def mixup_batch(
    x: ArrayLike,
    y: ArrayLike,
    alpha: float = 0.2,
    rng: int | np.random.Generator | np.random.RandomState | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mix each sample of a batch with another one, targets included.

    Sample ``i`` becomes ``lam[i] * x[i] + (1 - lam[i]) * x[j[i]]`` and its
    target ``lam[i] * y[i] + (1 - lam[i]) * y[j[i]]``, with
    ``lam[i] ~ Beta(alpha, alpha)`` drawn for each sample and ``j`` a random
    permutation of the batch: first ``lam = rng.beta(alpha, alpha, n)``, then
    ``j = rng.permutation(n)``. A small ``alpha`` (0.1-0.4) keeps most mixed
    samples close to one of the two; ``alpha=1`` draws ``lam`` uniformly.

    Mixing targets needs targets that can be averaged: one-hot (or
    probability) class targets, whose rows still sum to 1 after mixing, or
    real-valued regression targets. Integer class labels cannot be mixed.

    Parameters
    ----------
    x : array-like of shape (n_samples, ...)
        A batch of inputs (spectra, patterns).
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Their targets: one-hot class targets, or real-valued regression
        targets.
    alpha : float, default=0.2
        Parameter of the symmetric Beta law of ``lam``, > 0.
    rng : int, numpy Generator or RandomState, or None, default=None
        Source of the draws; an int seeds ``numpy.random.default_rng``.

    Returns
    -------
    x_mixed : ndarray of the shape of ``x``
        Float32 input stays float32, other input becomes float64.
    y_mixed : ndarray of the shape of ``y``
        Float32 targets stay float32, other targets become float64.

    Raises
    ------
    ValueError
        If ``x`` and ``y`` have different numbers of samples, the batch is
        empty, ``y`` holds integer class labels, or ``alpha`` is not > 0.
    TypeError
        If ``alpha`` or ``rng`` has the wrong type.

    References
    ----------
    H. Zhang, M. Cisse, Y. N. Dauphin and D. Lopez-Paz, "mixup: Beyond
    Empirical Risk Minimization", ICLR 2018.

    Examples
    --------
    >>> x = np.array([[0.0, 0.0], [2.0, 2.0]])
    >>> y = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> x_mixed, y_mixed = mixup_batch(x, y, alpha=0.4, rng=0)
    >>> y_mixed.sum(axis=1)
    array([1., 1.])
    >>> bool(np.allclose(x_mixed[:, 0], 2.0 * y_mixed[:, 1]))
    True
    """
    alpha = check_scalar("alpha", alpha, _ALPHA)
    generator = check_random_state_value("rng", rng)
    if not isinstance(generator, (np.random.Generator, np.random.RandomState)):
        generator = np.random.default_rng(generator)
    inputs, targets = _check_batch(x, y)
    lam, partner = _draw(generator, alpha, inputs.shape[0])
    return _mix(inputs, lam, partner), _mix(targets, lam, partner)


def _draw(generator, alpha, n):
    """The mixing weights, then the partners, of a batch of ``n`` samples."""
    return generator.beta(alpha, alpha, size=n), generator.permutation(n)


def _check_batch(x, y):
    x = _floats(np.asarray(x))
    y = np.asarray(y)
    if y.ndim == 1 and y.dtype.kind in "iub":
        raise ValueError(
            "`y` holds integer class labels, which cannot be mixed; pass one-hot "
            "targets (keras.utils.to_categorical(y)) or float regression targets."
        )
    y = _floats(y)
    if x.ndim == 0 or y.ndim not in (1, 2):
        raise ValueError(
            "`x` must have a sample axis and `y` shape (n_samples,) or "
            f"(n_samples, n_targets); got shapes {x.shape} and {y.shape}."
        )
    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ValueError(
            "`x` and `y` must hold the same number of samples, at least 1; got "
            f"{x.shape[0]} and {y.shape[0]}."
        )
    return x, y


def _floats(a):
    return a if a.dtype in (np.float32, np.float64) else a.astype(np.float64)


def _mix(a, lam, partner):
    weight = lam.reshape((-1,) + (1,) * (a.ndim - 1)).astype(a.dtype)
    return weight * a + (1 - weight) * a[partner]
