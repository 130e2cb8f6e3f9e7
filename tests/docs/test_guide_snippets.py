"""Every Python example of the documentation pages runs as written.

The pages under ``docs/`` (MyST Markdown) hold their examples in fenced
```` ```python ```` blocks. The blocks of one page run in order in one
namespace, in a temporary working folder, so a page reads like a session. A
block that must not run here (it needs the internet) is preceded by the MyST
comment line ``% not run: <reason>``.

The examples train small networks, so running them all takes about a minute
of CPU time: the test is marked ``slow`` and runs in the slow lane
(``pytest -m slow``, which ``.ci/run`` runs after the plain ``pytest``).
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import pytest

from tests.conftest import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs"
NOT_RUN = re.compile(r"^%\s*not run:\s*\S")
FENCE_OPEN = "```python"
FENCE_CLOSE = "```"


def python_blocks(path):
    """Return ``(line, code, runs)`` for every ```` ```python ```` block of a page."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, index = [], 0
    while index < len(lines):
        if lines[index].strip() != FENCE_OPEN:
            index += 1
            continue
        runs = not (index > 0 and NOT_RUN.match(lines[index - 1].strip()))
        end = index + 1
        while end < len(lines) and lines[end].strip() != FENCE_CLOSE:
            end += 1
        if end == len(lines):
            raise ValueError(f"{path}:{index + 1}: unclosed ```python block")
        blocks.append((index + 2, "\n".join(lines[index + 1 : end]), runs))
        index = end + 1
    return blocks


def _pages():
    return sorted(
        path
        for path in DOCS.rglob("*.md")
        if "_build" not in path.parts and path.name != "README.md"
    )


PAGES_WITH_CODE = [page for page in _pages() if python_blocks(page)]


def test_the_guide_pages_hold_examples():
    names = {page.relative_to(DOCS).as_posix() for page in PAGES_WITH_CODE}
    expected = {
        "getting-started.md",
        "guide/own-spectra.md",
        "guide/preprocessing.md",
        "guide/networks.md",
        "guide/training.md",
        "guide/openset.md",
        "guide/metrics.md",
        "guide/explanations.md",
        "guide/patterns.md",
        "guide/regression.md",
        "guide/sharing.md",
        "guide/scaling.md",
    }
    assert expected <= names, sorted(expected - names)


def test_block_parser_finds_code_and_skip_markers(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# t\n\n```python\nx = 1\n```\n\n% not run: needs the internet\n"
        "```python\nraise SystemExit\n```\n\n```bash\nls\n```\n",
        encoding="utf-8",
    )
    assert python_blocks(page) == [
        (4, "x = 1", True),
        (9, "raise SystemExit", False),
    ]


def test_unclosed_block_is_an_error(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```python\nx = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unclosed"):
        python_blocks(page)


@pytest.mark.slow
@pytest.mark.parametrize(
    "page", PAGES_WITH_CODE, ids=lambda p: p.relative_to(DOCS).as_posix()
)
def test_page_examples_run(page, tmp_path, monkeypatch):
    from specauth.models import registry

    monkeypatch.chdir(tmp_path)
    # A page may register a network; keep it out of the other tests.
    monkeypatch.setattr(registry, "_MODELS", dict(registry._MODELS))
    namespace = {"__name__": "__docs_example__"}
    try:
        for line, code, runs in python_blocks(page):
            if not runs:
                continue
            source = compile(code, f"{page.relative_to(PROJECT_ROOT)}:{line}", "exec")
            exec(source, namespace)  # noqa: S102 - the project's own examples
    finally:
        plt.close("all")
