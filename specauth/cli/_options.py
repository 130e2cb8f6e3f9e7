"""Option values of the command line, checked while the arguments are parsed.

A bad option value is a usage error: these functions are ``type=`` callables
that raise :class:`argparse.ArgumentTypeError`, so argparse prints the usage
line and ``argument --alpha: must be in (0, 1); got 1.5.`` and the command
exits with 2 before any file is read. Checks that involve several options use
:func:`add_check`: the command's parser reports them the same way, right after
parsing.
"""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "add_check",
    "crop_range",
    "fraction",
    "learning_rate",
    "metric_pair",
    "non_negative_int",
    "non_negative_float",
    "positive_float",
    "positive_int",
    "run_check",
]


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"must be an integer; got {text!r}.") from err


def epochs_count(text: str) -> int | str:
    """An integer >= 1, or ``"auto"`` (the classifier's own choice).

    Examples
    --------
    >>> epochs_count("40"), epochs_count("auto")
    (40, 'auto')
    """
    return "auto" if text.strip().lower() == "auto" else positive_int(text)


def positive_int(text: str) -> int:
    """An integer >= 1.

    Examples
    --------
    >>> positive_int("3")
    3
    >>> positive_int("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be an integer >= 1; got 0.
    """
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1; got {value}.")
    return value


def non_negative_int(text: str) -> int:
    """An integer >= 0.

    Examples
    --------
    >>> non_negative_int("0")
    0
    >>> non_negative_int("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be an integer >= 0; got -1.
    """
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0; got {value}.")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0.

    Examples
    --------
    >>> positive_float("150")
    150.0
    >>> positive_float("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a number > 0; got 0.
    """
    try:
        value = float(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(
            f"must be a number > 0; got {text!r}."
        ) from err
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number > 0; got {text}.")
    return value


def non_negative_float(text: str) -> float:
    """A finite number >= 0.

    Examples
    --------
    >>> non_negative_float("0.4")
    0.4
    >>> non_negative_float("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a number >= 0; got -1.
    """
    try:
        value = float(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(
            f"must be a number >= 0; got {text!r}."
        ) from err
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a number >= 0; got {text}.")
    return value


def fraction(text: str) -> float:
    """A number strictly between 0 and 1.

    Examples
    --------
    >>> fraction("0.05")
    0.05
    >>> fraction("1.5")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be in (0, 1); got 1.5.
    """
    try:
        value = float(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(
            f"must be a number in (0, 1); got {text!r}."
        ) from err
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1); got {text}.")
    return value


def learning_rate(text: str) -> float | str:
    """A number > 0, or ``"find"`` (run the learning-rate finder).

    Examples
    --------
    >>> learning_rate("3e-3"), learning_rate("find")
    (0.003, 'find')
    """
    if text == "find":
        return text
    try:
        value = float(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(
            f"must be a number > 0 or 'find'; got {text!r}."
        ) from err
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a number > 0 or 'find'; got {text}.")
    return value


def crop_range(text: str) -> tuple[float | None, float | None]:
    """``START:STOP``, either side optional: axis values, or indices without an axis.

    Whole numbers come back as ints (usable as indices), others as floats.

    Examples
    --------
    >>> crop_range("10:2641"), crop_range(":500"), crop_range("1000.5:")
    ((10, 2641), (None, 500), (1000.5, None))
    >>> crop_range("a:b")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must look like START:STOP with numbers (axis values \
such as 1000:1800 cm-1, or point indices such as 0:2631); got 'a:b'.
    """
    start, sep, stop = text.partition(":")
    try:
        if not sep:
            raise ValueError(text)
        return (_number(start), _number(stop))
    except ValueError as err:
        raise argparse.ArgumentTypeError(
            "must look like START:STOP with numbers (axis values such as "
            f"1000:1800 cm-1, or point indices such as 0:2631); got {text!r}."
        ) from err


def _number(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return int(value) if value.is_integer() and "." not in text else value


def metric_pair(text: str) -> tuple[str, float]:
    """``NAME=VALUE`` with a finite number, as ``(name, value)``.

    Examples
    --------
    >>> metric_pair("accuracy=0.97")
    ('accuracy', 0.97)
    >>> metric_pair("accuracy")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must look like NAME=VALUE (e.g. accuracy=0.97); \
got 'accuracy'.
    """
    name, sep, value = text.partition("=")
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (sep and name.strip() and math.isfinite(number)):
        raise argparse.ArgumentTypeError(
            f"must look like NAME=VALUE (e.g. accuracy=0.97); got {text!r}."
        )
    return name.strip(), number


def add_check(
    parser: argparse.ArgumentParser,
    check: Callable[[argparse.ArgumentParser, argparse.Namespace], None],
) -> None:
    """Have ``check(parser, args)`` run on this command's parsed arguments.

    ``check`` reports a bad combination of options with ``parser.error``
    (usage line, exit code 2); :func:`run_check` calls it.
    """
    parser.set_defaults(check=lambda args: check(parser, args))


def run_check(args: argparse.Namespace) -> None:
    """Run the check :func:`add_check` registered for the parsed command."""
    check = getattr(args, "check", None)
    if check is not None:
        check(args)
