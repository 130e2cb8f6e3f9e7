"""Type hints: every public function and method is annotated, and mypy agrees.

mypy runs on ``specauth/`` with the settings of ``[tool.mypy]`` in
pyproject.toml (basic mode: third-party packages without type information
are treated as ``Any``) and must report zero errors.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "specauth"


def _public_functions(tree):
    """(qualified name, node) of the public functions and methods of a module."""

    def visit(node, prefix, private):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                yield from visit(
                    child, f"{prefix}{child.name}.", private or child.name[0] == "_"
                )
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not private and not child.name.startswith("_"):
                    yield f"{prefix}{child.name}", child

    yield from visit(tree, "", False)


def _unannotated(node):
    args = node.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    params += [a for a in (args.vararg, args.kwarg) if a is not None]
    missing = [
        a.arg for a in params if a.annotation is None and a.arg not in ("self", "cls")
    ]
    if node.returns is None:
        missing.append("return")
    return missing


def test_every_public_function_and_method_is_annotated():
    gaps = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, node in _public_functions(tree):
            missing = _unannotated(node)
            if missing:
                gaps.append(f"{path.relative_to(ROOT)}: {name} ({', '.join(missing)})")
    assert not gaps, f"{len(gaps)} public functions lack annotations:\n" + "\n".join(
        gaps
    )


def test_the_annotation_check_sees_a_gap():
    tree = ast.parse(
        "def f(x, *, y: int) -> int: ...\n"
        "class A:\n"
        "    def g(self, z: int): ...\n"
        "    def _h(self, w): ...\n"
        "class _B:\n"
        "    def k(self, v): ...\n"
    )
    found = {name: _unannotated(node) for name, node in _public_functions(tree)}
    assert found == {"f": ["x"], "A.g": ["return"]}


@pytest.mark.slow  # about a minute of one core: the slow lane runs it
def test_mypy_reports_no_error():
    pytest.importorskip("mypy")  # a test dependency: never skipped in CI
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--no-incremental",
            "--config-file",
            str(ROOT / "pyproject.toml"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
