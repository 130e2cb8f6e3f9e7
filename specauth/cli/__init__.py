"""The ``specauth`` command line: ``demo``, ``train``, ``predict``, ``explain``
and ``report``.

Run ``specauth --help`` or ``specauth COMMAND --help`` for details.
"""

from specauth.cli.main import main

__all__ = ["main"]
