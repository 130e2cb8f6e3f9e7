"""Import Dask's distributed scheduler, naming the extra that installs it."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["import_distributed", "INSTALL"]

#: The install command the errors name.
INSTALL = "pip install 'specauth[dask]'"


def import_distributed(purpose: str = "run on a Dask cluster") -> Any:
    """Return the ``distributed`` module, or raise an ImportError naming the extra.

    Examples
    --------
    >>> import_distributed().Client.__name__
    'Client'
    """
    try:
        return importlib.import_module("distributed")
    except ImportError as err:
        raise ImportError(
            f"specauth needs Dask's distributed scheduler to {purpose}; "
            f"install it with `{INSTALL}`."
        ) from err
