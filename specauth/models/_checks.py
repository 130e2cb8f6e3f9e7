"""Argument checks shared by the network builders.

Each check raises ``TypeError`` for a value of the wrong type and
``ValueError`` for a value of the right type outside the accepted range, with
a message naming the argument, the expectation and the received value.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

__all__ = [
    "check_bool",
    "check_input_shape",
    "check_int_tuple",
    "check_n_classes",
    "check_name",
    "check_positive_int",
    "check_rate",
    "check_seed",
]


def _is_int(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def check_positive_int(value: object, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int after checking it is an int >= ``minimum``."""
    if not _is_int(value):
        raise TypeError(
            f"`{name}` must be an int >= {minimum}; got {value!r} "
            f"of type {type(value).__name__}."
        )
    if value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}; got {value}.")
    return int(value)


def check_input_shape(input_shape: object) -> tuple[int, int]:
    """Return ``(length, channels)`` as ints after checking both are >= 1."""
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(
            "`input_shape` must be a tuple (length, channels); got "
            f"{input_shape!r} of type {type(input_shape).__name__}."
        )
    if len(input_shape) != 2:
        raise ValueError(
            "`input_shape` must be a tuple (length, channels) of 2 ints; got "
            f"{tuple(input_shape)!r} with {len(input_shape)} entries. For spectra "
            "of shape (n_samples, length) pass (length, 1)."
        )
    length = check_positive_int(input_shape[0], "input_shape[0] (length)")
    channels = check_positive_int(input_shape[1], "input_shape[1] (channels)")
    return length, channels


def check_n_classes(n_classes: object) -> int:
    """Return ``n_classes`` as an int after checking it is >= 2."""
    return check_positive_int(n_classes, "n_classes", minimum=2)


def check_int_tuple(value: object, name: str) -> tuple[int, ...]:
    """Return ``value`` as a non-empty tuple of ints >= 1."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
        raise TypeError(
            f"`{name}` must be a tuple of ints >= 1; got {value!r} "
            f"of type {type(value).__name__}."
        )
    if len(value) == 0:
        raise ValueError(f"`{name}` must hold at least one int; got {value!r}.")
    return tuple(check_positive_int(v, f"{name}[{i}]") for i, v in enumerate(value))


def check_rate(value: object, name: str) -> float:
    """Return ``value`` as a float after checking it is in [0, 1)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise TypeError(
            f"`{name}` must be a number in [0, 1); got {value!r} "
            f"of type {type(value).__name__}."
        )
    if not 0 <= value < 1:
        raise ValueError(f"`{name}` must be in [0, 1); got {value}.")
    return float(value)


def check_bool(value: object, name: str) -> bool:
    """Return ``value`` as a bool after checking it is one."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"`{name}` must be True or False; got {value!r} "
            f"of type {type(value).__name__}."
        )
    return bool(value)


def check_name(value: object) -> str:
    """Return ``value`` after checking it is a non-empty str."""
    if not isinstance(value, str) or not value:
        raise TypeError(f"`name` must be a non-empty str; got {value!r}.")
    return value


def check_seed(seed: object) -> int | None:
    """Return ``seed`` as an int (or None) after checking it is None or an int >= 0."""
    if seed is None:
        return None
    return check_positive_int(seed, "seed", minimum=0)
