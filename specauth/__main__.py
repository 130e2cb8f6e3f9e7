"""``python -m specauth`` runs the command line."""

import sys

from specauth.cli.main import main

sys.exit(main())
