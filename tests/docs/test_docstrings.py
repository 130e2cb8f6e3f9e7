"""Every public class and function has a numpydoc ``Examples`` section.

The examples themselves run as doctests (``pytest --doctest-modules`` over
``specauth/``); this test makes sure there is one to run. Module-level
constants (``PGAA_CNN_BINS``, ...) cannot carry a docstring of their own and
are documented by ``#:`` comments instead.
"""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

from tests.docs.test_docs_build import PUBLIC_SUBPACKAGES

_EXAMPLES = re.compile(
    r"^Examples\n-{8,}\n(?P<body>.*?)(?=^\S[^\n]*\n-{3,}\n|\Z)", re.M | re.S
)

#: Public objects known to lack an example; each one listed here fails the
#: test (strict xfail) as soon as it gains one, so the list only shrinks.
MISSING_EXAMPLES: set[str] = set()


def _public_objects():
    for subpackage in PUBLIC_SUBPACKAGES:
        module = importlib.import_module(f"specauth.{subpackage}")
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                yield f"specauth.{subpackage}.{name}", obj


def examples_section(docstring):
    """Return the body of the ``Examples`` section of a docstring, or None."""
    match = _EXAMPLES.search(inspect.cleandoc(docstring or ""))
    return None if match is None else match.group("body")


def test_examples_section_is_found_and_bounded():
    doc = """Summary.

    Examples
    --------
    >>> 1 + 1
    2

    References
    ----------
    A paper.
    """
    assert examples_section(doc).strip() == ">>> 1 + 1\n2"
    assert examples_section("Summary.\n\nNotes\n-----\nNone.") is None


def _cases():
    for name, obj in _public_objects():
        marks = ()
        if name in MISSING_EXAMPLES:
            marks = pytest.mark.xfail(strict=True, reason="no Examples section yet")
        yield pytest.param(name, obj, id=name, marks=marks)


@pytest.mark.parametrize(("name", "obj"), list(_cases()))
def test_public_object_has_a_runnable_example(name, obj):
    body = examples_section(inspect.getdoc(obj))
    assert body is not None, f"{name} has no numpydoc Examples section"
    assert ">>>" in body, f"the Examples section of {name} holds no >>> line"


def test_missing_examples_list_names_public_objects():
    public = {name for name, _ in _public_objects()}
    assert MISSING_EXAMPLES <= public
