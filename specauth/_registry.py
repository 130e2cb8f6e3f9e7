"""Name checks and lookup errors shared by the registries of specauth
(network builders in :mod:`specauth.models`, detectors in :mod:`specauth.ood`)."""

from __future__ import annotations

import difflib
import re

__all__ = ["check_new_name", "check_str_name", "unknown_name"]

_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def check_str_name(kind: str, name: object) -> str:
    """Return ``name`` if it is a str, else raise a TypeError naming the ``kind``."""
    if not isinstance(name, str):
        raise TypeError(
            f"A {kind} name must be a str; got {name!r} of type {type(name).__name__}."
        )
    return name


def check_new_name(kind: str, name: object, example: str) -> str:
    """Return ``name`` if it is a lower_snake str; raise TypeError/ValueError if not.

    Examples
    --------
    >>> check_new_name("model", "My-Net", "cnn1d_small")
    Traceback (most recent call last):
    ...
    ValueError: A model name must be lower_snake (letters a-z, digits and single underscores, starting with a letter), e.g. 'cnn1d_small'; got 'My-Net'.
    """  # noqa: E501
    name = check_str_name(kind, name)
    if not _NAME_PATTERN.match(name):
        raise ValueError(
            f"A {kind} name must be lower_snake (letters a-z, digits and single "
            f"underscores, starting with a letter), e.g. {example!r}; got {name!r}."
        )
    return name


def unknown_name(kind: str, name: str, names: list[str]) -> ValueError:
    """The error for a name not in ``names``: a close match, then every name.

    Examples
    --------
    >>> print(unknown_name("detector", "energi", ["energy", "knn"]))
    Unknown detector 'energi'; did you mean 'energy'? Valid names: energy, knn.
    """
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    return ValueError(f"Unknown {kind} {name!r}{hint} Valid names: {', '.join(names)}.")
