"""The ``specauth`` command line as the benchmark scripts run it."""

from __future__ import annotations

import sys
from pathlib import Path


def specauth_command():
    """Return the argv prefix that runs ``specauth`` of this Python.

    The console script next to ``sys.executable`` when it is installed there,
    otherwise ``python -m specauth``.
    """
    script = Path(sys.executable).with_name("specauth")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "specauth"]
