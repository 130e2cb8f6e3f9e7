"""Lazy imports of heavy optional dependencies.

``import specauth`` must stay fast and must not load TensorFlow, so modules that
need Keras call :func:`import_keras` inside the functions that use it.
"""

from __future__ import annotations

import importlib
import os

__all__ = ["import_keras", "import_optional"]


def import_optional(module, *, package=None, purpose=None):
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


def import_keras():
    """Import Keras quietly (TensorFlow's C++ start-up logs are silenced).

    Returns
    -------
    module
        The ``keras`` module, on the backend chosen by ``KERAS_BACKEND``
        (TensorFlow by default).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return import_optional("keras", package="keras", purpose="build and train networks")
