"""Argument checks shared by the training schedules, callbacks and ``lr_find``.

Keras objects validate in ``__init__``, one scalar at a time; each message
names the argument, what was expected and the value received.
"""

from __future__ import annotations

__all__ = ["check_scalar", "check_choice"]


def check_scalar(name, value, interval):
    """Return ``value`` if ``interval`` accepts it, else raise naming ``name``.

    Parameters
    ----------
    name : str
        Argument name used in the message.
    value : object
        The value received.
    interval : specauth._validation.Interval
        Accepted type and range.

    Returns
    -------
    value : int or float
        ``value`` unchanged.

    Raises
    ------
    TypeError
        If ``value`` is not a number of ``interval.type`` (booleans never are).
    ValueError
        If ``value`` is of the right type but outside the range (or NaN).

    Examples
    --------
    >>> from numbers import Real
    >>> from specauth._validation import Interval
    >>> check_scalar("gamma", 0.5, Interval(Real, 0, 1, closed="right"))
    0.5
    >>> check_scalar("gamma", 1.5, Interval(Real, 0, 1, closed="right"))
    Traceback (most recent call last):
    ...
    ValueError: `gamma` must be a number in (0, 1]; got 1.5.
    """
    if isinstance(value, bool) or not isinstance(value, interval.type):
        raise TypeError(
            f"`{name}` must be {interval}; got {value!r} "
            f"of type {type(value).__name__}."
        )
    if not interval.accepts(value):
        raise ValueError(f"`{name}` must be {interval}; got {value!r}.")
    return value


def check_choice(name, value, choices):
    """Return ``value`` if it is one of ``choices``, else raise a ``ValueError``.

    Examples
    --------
    >>> check_choice("mode", "fast", ("triangular", "exp_range"))
    Traceback (most recent call last):
    ...
    ValueError: `mode` must be one of 'triangular', 'exp_range'; got 'fast'.
    """
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be one of {options}; got {value!r}.")
    return value
