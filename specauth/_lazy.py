"""Lazy imports of heavy optional dependencies.

``import specauth`` must stay fast and must not load TensorFlow, so modules that
need Keras call :func:`import_keras` inside the functions that use it.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import ModuleType

__all__ = ["import_keras", "import_optional"]


def import_optional(
    module: str, *, package: str | None = None, purpose: str | None = None
) -> ModuleType:
    """Import ``module`` or raise an ``ImportError`` naming the pip package.

    Parameters
    ----------
    module : str
        Dotted module name, e.g. ``"h5py"``.
    package : str, default=None
        The pip package that provides it (defaults to ``module``).
    purpose : str, default=None
        What the module is needed for, used in the message.

    Examples
    --------
    >>> import_optional("math").sqrt(4.0)
    2.0
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        what = f" to {purpose}" if purpose else ""
        raise ImportError(
            f"specauth needs the `{package or module}` package{what}; "
            f"install it with `pip install {package or module}`."
        ) from err


def import_keras() -> Any:
    """Import Keras quietly (TensorFlow's C++ start-up logs are silenced).

    Returns
    -------
    module
        The ``keras`` module, on the backend chosen by ``KERAS_BACKEND``
        (TensorFlow by default).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return import_optional("keras", package="keras", purpose="build and train networks")


def lazy_exports(
    package: str, modules: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return ``(__getattr__, __dir__)`` importing a package's names on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    modules : dict of str to str
        Public name -> submodule (relative to ``package``) that defines it.
    namespace : dict
        The package's ``globals()``: resolved names are cached there, so each
        submodule is imported once.

    Examples
    --------
    >>> getattr_, dir_ = lazy_exports("json", {"JSONEncoder": "encoder"}, {})
    >>> getattr_("JSONEncoder").__name__
    'JSONEncoder'
    """
    import importlib

    def __getattr__(name: str) -> Any:
        if name not in modules:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(f"{package}.{modules[name]}")
        value = getattr(module, name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(modules))

    return __getattr__, __dir__
