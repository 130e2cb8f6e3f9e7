"""Entry point of the ``specauth`` command.

Exit codes: 0 on success, 2 on a usage error (argparse), 1 on a data or
model error, reported as one line (the traceback only with ``--debug``),
130 when interrupted. A damaged input file is such an error, naming the
option and the file; an output that is an input is refused before any work,
and outputs are renamed into place only on success
(:mod:`specauth.cli._files`, :mod:`specauth._safe_write`).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from specauth import __version__
from specauth.cli import demo, explain, hub, predict, report, train
from specauth.cli._options import run_check

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main", "build_parser"]

_COMMANDS = (demo, train, predict, explain, report, hub)

_EPILOG = """\
examples:
  specauth demo                                   # train on built-in data
  specauth demo --pgaa ../shared/data/pgaa/pgaa.npz
  specauth train --x X.npy --y labels.csv --out model/
  specauth predict model/ --x new.csv --out predictions.csv
  specauth explain model/ --x new.csv --index 0 3 --out explanations/
  specauth report model/ --x test.npy --y test_labels.csv --out report.html
  specauth push model/ my-lab/my-model            # Hugging Face Hub
  specauth pull my-lab/my-model --revision v1 --out model/
"""


def build_parser() -> argparse.ArgumentParser:
    """Return the ``argparse`` parser of the ``specauth`` command.

    Examples
    --------
    >>> build_parser().parse_args(["train", "--x", "X.npy", "--y", "y.csv",
    ...                            "--out", "m"]).command
    'train'
    """
    parser = argparse.ArgumentParser(
        prog="specauth",
        description="Classify spectra with convolutional networks.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument(
        "--debug", action="store_true", help="show full tracebacks on errors"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for module in _COMMANDS:
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (defaults to ``sys.argv[1:]``).

    Returns
    -------
    code : int
        0 on success, 1 on a data/model error, 2 on a usage error.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        run_check(args)  # options that must fit together (exit 2 if not)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        args.run(args)
    except (ValueError, TypeError, OSError, ImportError, KeyError) as err:
        if args.debug:
            raise
        message = str(err).strip().splitlines()[0] if str(err).strip() else ""
        print(
            f"specauth {args.command}: error: {message or type(err).__name__}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("specauth: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
