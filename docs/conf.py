"""Sphinx configuration of the specauth documentation.

Build (warnings are errors)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The build is offline: no intersphinx inventories are fetched and no notebook
is executed.
"""

from __future__ import annotations

import inspect
import os
import sys

# Keep TensorFlow's C++ logging quiet while autodoc imports the package.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)

from numpydoc.xref import DEFAULT_LINKS  # noqa: E402

import specauth  # noqa: E402

project = "specauth"
author = "specauth developers"
copyright = "specauth developers"
release = specauth.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

# -- autodoc / autosummary ---------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # numpydoc docstrings already give the types
autodoc_member_order = "groupwise"
# A method that overrides a Keras or scikit-learn one without a docstring of
# its own (``get_config``, ``on_epoch_end``) is not documented again here.
autodoc_inherit_docstrings = False

# -- numpydoc -----------------------------------------------------------------
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
# Parameter types are parsed, so names such as ``n_features_in_`` in
# ``ndarray of shape (n_features_in_,)`` become inline code instead of
# reStructuredText link targets. The build is offline (no intersphinx), so
# numpydoc's default aliases, which point into the Python and NumPy
# inventories, are replaced by the bare words.
numpydoc_xref_param_type = True
numpydoc_xref_aliases = {name: name for name in DEFAULT_LINKS}
numpydoc_xref_ignore = {
    "of",
    "shape",
    "or",
    "and",
    "default",
    "optional",
    "instance",
    "the",
    "a",
    "an",
    "with",
    "any",
    "one",
    "per",
    "same",
    "as",
    "to",
    "in",
    "from",
    "for",
}

# -- MyST ---------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- HTML ---------------------------------------------------------------------
html_theme = "furo"
html_title = f"specauth {release}"
html_static_path: list[str] = []


def _defined_in_specauth(obj):
    """Whether the code of a class member lives in specauth."""
    target = obj.fget if isinstance(obj, property) else obj
    target = inspect.unwrap(target) if callable(target) else target
    module = getattr(target, "__module__", None) or ""
    return module == "specauth" or module.startswith("specauth.")


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Document only members written in specauth.

    Methods inherited from scikit-learn, Keras or ``object`` (``get_params``,
    ``get_config`` of ``keras.layers.Layer``, ...) are documented upstream and
    their docstrings reference labels that only exist there.
    """
    if what != "class" or skip:
        return skip
    if callable(obj) or isinstance(obj, property):
        return not _defined_in_specauth(obj)
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
