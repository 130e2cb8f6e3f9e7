"""Registry of the out-of-distribution detectors, looked up by name.

The command line (``specauth train --detector knn``), the demo and the
benchmarks name detectors with these short names; code that builds a detector
from a name calls :func:`make_detector`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, TypeVar

from specauth._registry import check_new_name, check_str_name, unknown_name

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["register_detector", "list_detectors", "get_detector", "make_detector"]

#: The built-in detectors: name -> (module, class). Looked up by path, so that
#: listing the names (``specauth --help``) imports none of them.
BUILTIN_DETECTORS = {
    "ash": ("specauth.ood.ash", "ASH"),
    "dime": ("specauth.ood.dime", "DIME"),
    "energy": ("specauth.ood.energy", "Energy"),
    "fdbd": ("specauth.ood.fdbd", "FDBD"),
    "gen": ("specauth.ood.gen", "GEN"),
    "knn": ("specauth.ood.knn", "KNNDetector"),
    "mahalanobis": ("specauth.ood.mahalanobis", "Mahalanobis"),
    "maxlogit": ("specauth.ood.max_logit", "MaxLogit"),
    "nnguide": ("specauth.ood.nnguide", "NNGuide"),
    "react": ("specauth.ood.react", "ReAct"),
    "rmd": ("specauth.ood.rmd", "RMD"),
    "scale": ("specauth.ood.scale", "SCALE"),
    "softmax": ("specauth.ood.max_softmax", "MaxSoftmax"),
    "vim": ("specauth.ood.vim", "ViM"),
}
#: Detectors registered with :func:`register_detector`.
_DETECTORS: dict[str, type] = {}

_ClassT = TypeVar("_ClassT", bound=type)


def register_detector(name: str) -> Callable[[_ClassT], _ClassT]:
    """Return a class decorator that registers a detector under ``name``.

    Parameters
    ----------
    name : str
        A lower_snake name (letters a-z, digits and single underscores,
        starting with a letter) that is not registered yet.

    Returns
    -------
    decorator : callable
        Registers the decorated detector class and returns it unchanged.

    Raises
    ------
    TypeError
        If ``name`` is not a str or the decorated object is not a class.
    ValueError
        If ``name`` is malformed or already registered.

    Examples
    --------
    >>> from specauth.ood import register_detector
    >>> register_detector("knn")
    Traceback (most recent call last):
    ...
    ValueError: A detector named 'knn' is already registered ...
    """
    name = check_new_name("detector", name, "knn")
    if name in BUILTIN_DETECTORS or name in _DETECTORS:
        raise ValueError(
            f"A detector named {name!r} is already registered (by "
            f"{_where(name)}); choose another name."
        )

    def decorator(cls: _ClassT) -> _ClassT:
        if not isinstance(cls, type):
            raise TypeError(
                f"register_detector({name!r}) decorates a detector class; got {cls!r}."
            )
        _DETECTORS[name] = cls
        return cls

    return decorator


def list_detectors() -> list[str]:
    """Return the names of the registered detectors, sorted.

    Examples
    --------
    >>> from specauth.ood import list_detectors
    >>> list_detectors()  # doctest: +NORMALIZE_WHITESPACE
    ['ash', 'dime', 'energy', 'fdbd', 'gen', 'knn', 'mahalanobis', 'maxlogit',
     'nnguide', 'react', 'rmd', 'scale', 'softmax', 'vim']
    """
    return sorted({*BUILTIN_DETECTORS, *_DETECTORS})


def get_detector(name: str) -> type:
    """Return the detector class registered under ``name``.

    Raises
    ------
    TypeError
        If ``name`` is not a str.
    ValueError
        If no detector has that name; the message lists the valid names.

    Examples
    --------
    >>> from specauth.ood import get_detector
    >>> get_detector("energy").__name__
    'Energy'
    """
    name = check_str_name("detector", name)
    if name not in list_detectors():
        raise unknown_name("detector", name, list_detectors())
    if name in _DETECTORS:
        return _DETECTORS[name]
    module, attribute = BUILTIN_DETECTORS[name]
    return getattr(importlib.import_module(module), attribute)


def make_detector(name: str, **params: Any) -> Any:
    """Return a new, unfitted detector ``name`` with ``params``.

    Examples
    --------
    >>> from specauth.ood import make_detector
    >>> make_detector("energy", alpha=0.01)
    Energy(alpha=0.01)
    """
    return get_detector(name)(**params)


def _where(name):
    if name in BUILTIN_DETECTORS:
        return ".".join(BUILTIN_DETECTORS[name])
    cls = _DETECTORS[name]
    return f"{cls.__module__}.{cls.__qualname__}"
