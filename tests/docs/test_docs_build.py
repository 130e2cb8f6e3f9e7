"""The documentation builds without warnings and documents the public API.

The build is the documented command, ``python -m sphinx -W --keep-going -b
html docs docs/_build/html``, written into a temporary folder. It needs the
``docs`` extra (sphinx, numpydoc, myst-parser, furo); the test fails with the
install command when they are missing.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT

# The Sphinx build takes ~20 s of CPU: the slow lane (`pytest -m slow`).
pytestmark = pytest.mark.slow

#: Subpackages whose ``__all__`` is the public API.
PUBLIC_SUBPACKAGES = (
    "axis",
    "datasets",
    "distributed",
    "estimators",
    "explain",
    "hub",
    "imaging",
    "models",
    "models.layers",
    "ood",
    "openset",
    "preprocessing",
    "training",
)

PAGES = (
    "index.html",
    "getting-started.html",
    "backends.html",
    "guide/index.html",
    "guide/own-spectra.html",
    "guide/preprocessing.html",
    "guide/networks.html",
    "guide/training.html",
    "guide/openset.html",
    "guide/metrics.html",
    "guide/explanations.html",
    "guide/patterns.html",
    "guide/regression.html",
    "guide/sharing.html",
    "guide/scaling.html",
    "guide/cli.html",
    "api/index.html",
    "api/axis.html",
    "api/distributed.html",
)

MAIN_OBJECTS = (
    "specauth.estimators.CNNClassifier",
    "specauth.openset.OpenSetClassifier",
    "specauth.openset.figures_of_merit",
    "specauth.openset.ood_metrics",
    "specauth.ood.KNNDetector",
    "specauth.ood.DIME",
    "specauth.explain.CAM1D",
    "specauth.explain.CAM2D",
    "specauth.explain.ShapExplainer",
    "specauth.hub.save_pretrained",
    "specauth.hub.push_to_hub",
    "specauth.datasets.make_spectra",
    "specauth.training.lr_find",
    "specauth.models.CNNFactory",
    "specauth.preprocessing.SpectrumNormalizer",
    "specauth.imaging.GramianAngularField",
)

_ANCHOR = re.compile(r'<dt class="sig sig-object py" id="([^"]+)"')


def _missing_docs_tools():
    needed = ("sphinx", "numpydoc", "myst_parser", "furo")
    return [name for name in needed if importlib.util.find_spec(name) is None]


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    """Build the docs once; return the output folder."""
    missing = _missing_docs_tools()
    if missing:
        pytest.fail(
            f"Building the docs needs {missing}: pip install '.[docs]' (they are "
            "in the test extra too)."
        )
    out = tmp_path_factory.mktemp("html")
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [*command, "-q", "docs", str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert result.returncode == 0, "\n".join(warnings) or result.stderr[-3000:]
    return out


def _documented_names(html):
    """Full names of every object documented in the API reference."""
    names = set()
    for page in (html / "api").rglob("*.html"):
        names.update(_ANCHOR.findall(page.read_text(encoding="utf-8")))
    return names


def test_key_pages_are_built(html):
    missing = [page for page in PAGES if not (html / page).is_file()]
    assert not missing
    index = (html / "index.html").read_text(encoding="utf-8")
    for target in ("getting-started.html", "guide/index.html", "api/index.html"):
        assert f'href="{target}' in index, target


def test_main_objects_have_api_pages(html):
    generated = html / "api" / "generated"
    missing = [
        name for name in MAIN_OBJECTS if not (generated / f"{name}.html").is_file()
    ]
    assert not missing


def test_class_pages_document_their_methods(html):
    names = _documented_names(html)
    for method in ("fit", "score_samples", "decision_function", "predict"):
        assert f"specauth.ood.KNNDetector.{method}" in names
    for method in ("fit", "predict", "predict_proba", "logits", "transform"):
        assert f"specauth.estimators.CNNClassifier.{method}" in names
    # Methods inherited from scikit-learn are documented there, not here.
    assert "specauth.estimators.CNNClassifier.get_metadata_routing" not in names


@pytest.mark.parametrize("subpackage", PUBLIC_SUBPACKAGES)
def test_every_public_name_is_in_the_api_reference(html, subpackage):
    module = importlib.import_module(f"specauth.{subpackage}")
    names = _documented_names(html)
    missing = [
        name for name in module.__all__ if f"specauth.{subpackage}.{name}" not in names
    ]
    assert not missing, f"add them to docs/api/{subpackage.split('.')[0]}.rst"


def test_guide_pages_link_into_the_api_reference(html):
    page = (html / "guide" / "openset.html").read_text(encoding="utf-8")
    assert "../api/generated/specauth.openset.OpenSetClassifier.html" in page
    assert "../api/generated/specauth.ood.KNNDetector.html" in page
