"""Per-layer seeds derived from one builder ``seed``."""

from __future__ import annotations

import numpy as np

__all__ = ["SeedStream"]


class SeedStream:
    """Hand out one seed per initializer or dropout layer, in build order.

    With an int ``seed`` the sequence of seeds is fixed, so two builds of the
    same network get identical initial weights; with ``None`` every call
    returns ``None`` and Keras draws fresh random values.

    Parameters
    ----------
    seed : int or None
        Root seed (already validated, >= 0).

    Examples
    --------
    >>> a, b = SeedStream(0), SeedStream(0)
    >>> [a.next() for _ in range(3)] == [b.next() for _ in range(3)]
    True
    >>> SeedStream(None).next() is None
    True
    """

    def __init__(self, seed: int | None) -> None:
        self._rng = None if seed is None else np.random.default_rng(seed)

    def next(self) -> int | None:
        """Return the next derived seed (an int in [0, 2**31 - 1)) or None."""
        if self._rng is None:
            return None
        return int(self._rng.integers(0, 2**31 - 1))
