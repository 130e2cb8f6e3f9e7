"""The code base passes ruff (the linter configured in pyproject.toml)."""

import importlib.util
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT, python_output


def _ruff():
    if importlib.util.find_spec("ruff") is None:
        pytest.fail("ruff is part of the test extras: pip install '.[test]'")
    return [sys.executable, "-m", "ruff"]


def test_ruff_check_passes():
    result = subprocess.run(
        [*_ruff(), "check", "specauth", "tests", "benchmarks"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_specauth_does_not_load_tensorflow():
    code = (
        "import sys, specauth, specauth.datasets, specauth.preprocessing, "
        "specauth.models, specauth.training, specauth.estimators, specauth.cli, "
        "specauth.ood, specauth.openset, specauth.hub, specauth.imaging; "
        "print(any(m == 'tensorflow' or m.startswith('tensorflow.') "
        "for m in sys.modules))"
    )
    assert python_output(code) == "False"
