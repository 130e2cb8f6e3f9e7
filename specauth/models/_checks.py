"""Argument checks of the network builders, on :mod:`specauth._validation`.

The builders take their arguments in ``(value, name)`` order; each check
delegates to the shared vocabulary, so the messages are the house ones
(``TypeError`` for a wrong type, ``ValueError`` for a value out of range, each
naming the argument, the expectation and the value received). Only the checks
that are about networks (``input_shape``, ``n_classes``, a layer ``name``)
are written here.
"""

from __future__ import annotations

from numbers import Integral, Real

from specauth import _validation
from specauth._validation import Interval, check_scalar

__all__ = [
    "check_bool",
    "check_input_shape",
    "check_int",
    "check_int_tuple",
    "check_n_classes",
    "check_name",
    "check_positive_int",
    "check_rate",
    "check_seed",
]

_RATE = Interval(Real, 0, 1, closed="left")


def check_int(value: object, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int after checking it is an int >= ``minimum``.

    >>> check_int(0, "local_blocks", minimum=0)
    0
    """
    return check_scalar(name, value, Interval(Integral, minimum, None))


def check_positive_int(value: object, name: str) -> int:
    """Return ``value`` as an int after checking it is an int >= 1.

    >>> check_positive_int(3, "channels")
    3
    """
    return check_int(value, name)


def check_input_shape(input_shape: object) -> tuple[int, int]:
    """Return ``(length, channels)`` as ints after checking both are >= 1.

    >>> check_input_shape([128, 1])
    (128, 1)
    """
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
    length = check_int(input_shape[0], "input_shape[0] (length)")
    channels = check_int(input_shape[1], "input_shape[1] (channels)")
    return length, channels


def check_n_classes(n_classes: object) -> int:
    """Return ``n_classes`` as an int after checking it is >= 1.

    It is the number of outputs of the last Dense layer: classes for a
    classifier (the estimators refuse fewer than 2), targets for a regressor
    (1 for one quantity).

    >>> check_n_classes(3), check_n_classes(1)
    (3, 1)
    """
    return check_int(n_classes, "n_classes", minimum=1)


def check_int_tuple(value: object, name: str) -> tuple[int, ...]:
    """Return ``value`` as a non-empty tuple of ints >= 1.

    >>> check_int_tuple([16, 32], "filters")
    (16, 32)
    """
    return _validation.check_int_tuple(name, value)


def check_rate(value: object, name: str) -> float:
    """Return ``value`` as a float after checking it is in [0, 1).

    >>> check_rate(0, "dropout")
    0.0
    """
    return check_scalar(name, value, _RATE)


def check_bool(value: object, name: str) -> bool:
    """Return ``value`` as a bool after checking it is one.

    >>> check_bool(True, "batch_norm")
    True
    """
    return _validation.check_bool(name, value)


#: Accepted ``input_norm`` values: True is ``"batch"``, False no layer.
INPUT_NORMS = ("batch", "standard")


def check_input_norm(value: object) -> str | None:
    """Return ``input_norm`` as ``"batch"``, ``"standard"`` or None (no layer).

    >>> check_input_norm(True), check_input_norm("standard"), check_input_norm(False)
    ('batch', 'standard', None)
    """
    if isinstance(value, bool):
        return "batch" if value else None
    if isinstance(value, str) and value in INPUT_NORMS:
        return value
    raise (ValueError if isinstance(value, str) else TypeError)(
        f"`input_norm` must be 'batch' (or True), 'standard' or False; got {value!r}."
    )


def check_name(value: object) -> str:
    """Return ``value`` after checking it is a non-empty str.

    >>> check_name("cnn1d")
    'cnn1d'
    """
    if not isinstance(value, str) or not value:
        raise TypeError(f"`name` must be a non-empty str; got {value!r}.")
    return value


def check_seed(seed: object) -> int | None:
    """Return ``seed`` as an int (or None) after checking it is None or an int >= 0.

    >>> check_seed(None), check_seed(7)
    (None, 7)
    """
    return _validation.check_random_state_value(
        "seed", seed, high=None, generators=False
    )
