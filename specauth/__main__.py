"""``python -m specauth`` runs the command line."""

from __future__ import annotations

import sys

from specauth.cli.main import main

sys.exit(main())
