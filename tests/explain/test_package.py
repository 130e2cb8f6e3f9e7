"""The specauth.explain namespace: every public name resolves, lazily."""

import pytest

import specauth.explain as explain
from tests.conftest import python_output


@pytest.mark.parametrize("name", explain.__all__)
def test_every_public_name_resolves(name):
    assert getattr(explain, name).__name__ == name


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'CAM3D'"):
        explain.CAM3D  # noqa: B018


def test_import_loads_neither_keras_nor_matplotlib():
    code = (
        "import sys, specauth.explain; "
        "print(any(m in sys.modules for m in ('keras', 'tensorflow', "
        "'matplotlib', 'shap', 'bokeh')))"
    )
    assert python_output(code) == "False"
