"""The command-line page shows every subcommand, with command lines that parse.

Running the commands needs data, time and (for push/pull) the Hub; parsing
them with the real argument parser catches a renamed or removed option.
"""

from __future__ import annotations

import argparse
import shlex

import pytest

from tests.conftest import PROJECT_ROOT

PAGE = PROJECT_ROOT / "docs" / "guide" / "cli.md"


def command_lines(text):
    """Return the ``specauth ...`` commands of the ```` ```bash ```` blocks.

    Lines ending in a backslash continue on the next line; ``#`` starts a
    comment.
    """
    commands, in_block, pending = [], False, ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_block = stripped == "```bash"
            continue
        if not in_block or not stripped:
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        words = shlex.split(pending + stripped, comments=True)
        pending = ""
        if words:
            commands.append(words)
    return commands


def _parser():
    try:
        from specauth.cli.main import build_parser
    except ImportError:
        pytest.skip("specauth.cli.main.build_parser is not available")
    return build_parser()


def _subcommands(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    raise AssertionError("the specauth parser has no subcommands")


def test_command_lines_are_split_like_a_shell():
    text = "```bash\nspecauth a --x f \\\n   --y g   # note\n```\n```text\nno\n```\n"
    assert command_lines(text) == [["specauth", "a", "--x", "f", "--y", "g"]]


def test_every_subcommand_has_an_example():
    commands = command_lines(PAGE.read_text(encoding="utf-8"))
    shown = {words[1] for words in commands if len(words) > 1}
    missing = _subcommands(_parser()) - shown
    assert not missing, f"add an example of {sorted(missing)} to {PAGE.name}"


def test_every_command_line_parses():
    parser = _parser()
    commands = command_lines(PAGE.read_text(encoding="utf-8"))
    assert len(commands) >= 10
    for words in commands:
        assert words[0] == "specauth", words
        try:
            args = parser.parse_args(words[1:])
        except SystemExit:
            pytest.fail(f"`{shlex.join(words)}` does not parse")
        assert args.command == words[1]
