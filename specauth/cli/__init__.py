"""The ``specauth`` command line: ``demo``, ``train`` and ``predict``.

Run ``specauth --help`` or ``specauth COMMAND --help`` for details.
"""

from specauth.cli.main import main

__all__ = ["main"]
