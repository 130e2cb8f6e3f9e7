"""Reproducible seeding of Keras without disturbing the caller's random state."""

from __future__ import annotations

import contextlib
import random
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["seed_from_random_state", "keras_seed"]


def seed_from_random_state(
    random_state: int | np.random.RandomState | np.random.Generator | None,
) -> int:
    """Turn a scikit-learn ``random_state`` into an int seed.

    ``None`` draws a fresh seed from numpy's global generator (so results
    differ between fits); an int is used as it is; a ``RandomState`` or
    ``Generator`` supplies one draw.

    Examples
    --------
    >>> seed_from_random_state(7)
    7
    """
    if random_state is None:
        return int(np.random.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    return int(random_state) % (2**32 - 1)


@contextlib.contextmanager
def keras_seed(seed: int) -> Iterator[None]:
    """Seed Keras (and its backend) for the duration of a ``with`` block.

    ``keras.utils.set_random_seed`` also reseeds Python's ``random`` and
    numpy's global generator; their previous states are restored on exit so
    fitting an estimator does not change the caller's random streams.
    """
    from specauth._lazy import import_keras

    keras = import_keras()
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    keras.utils.set_random_seed(seed)
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
