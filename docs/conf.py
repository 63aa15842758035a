"""Sphinx configuration of skmtl's documentation.

The API reference is generated from the ``__all__`` lists of :mod:`skmtl` and
its public submodules (see :func:`write_api_page`), so a new public class or
function appears in the reference without editing any page. The gallery runs
every ``examples/plot_*.py``; the other example scripts are run by the tests.
"""

import importlib
import inspect
import os
import sys
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# the real data sets, where the checkout sits beside them (as on CI): the
# loaders also honour a SKMTL_DATA set by the caller
_shared_data = ROOT.parent / "shared" / "data"
if "SKMTL_DATA" not in os.environ and _shared_data.is_dir():
    os.environ["SKMTL_DATA"] = str(_shared_data)

import skmtl  # noqa: E402

project = "skmtl"
author = "the skmtl developers"
copyright = f"{time.gmtime().tm_year}, {author}"
release = skmtl.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "skmtl_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "build.sh", "auto_examples/*.ipynb", "**.py.md5"]
templates_path = ["_templates"]
default_role = "literal"
nitpicky = False

# --- API reference ---------------------------------------------------------
# Public modules documented in the reference, in order. A name appears once:
# under the first module whose __all__ lists it (skmtl's re-exports first).
API_MODULES = [
    ("skmtl", "Estimators, baselines and the comparison"),
    ("skmtl.estimators", "Linear multi-task models (and their path functions)"),
    ("skmtl.neural", "Shared networks"),
    ("skmtl.baselines", "Baselines"),
    ("skmtl.model_selection", "Model selection: splitters, tuning, comparison"),
    ("skmtl.metrics", "Metrics and scorers on observed entries"),
    ("skmtl.datasets", "Data sets and stacking"),
    ("skmtl.solvers", "Solver layer"),
]


def public_objects(module_name):
    """The documented names of ``module_name``'s ``__all__``.

    Classes and functions (and other callables); constants such as
    ``__version__`` or ``SCORERS`` are described in the module's docstring.
    """
    module = importlib.import_module(module_name)
    names = []
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj) or callable(obj):
            names.append(name)
    return names


def api_sections():
    """``[(module, title, [names])]`` with every object listed once."""
    seen = set()
    sections = []
    for module_name, title in API_MODULES:
        module = importlib.import_module(module_name)
        names = []
        for name in public_objects(module_name):
            key = id(getattr(module, name))
            if key not in seen:
                seen.add(key)
                names.append(name)
        sections.append((module_name, title, names))
    return sections


API_INTRO = """\
.. _api:

.. This page is written by docs/conf.py at every build: do not edit it.

API reference
=============

Generated from the ``__all__`` lists of :mod:`skmtl` and of its public
submodules: every public class and function is listed here, under the first
module that exports it (the models that :mod:`skmtl` re-exports appear under
:mod:`skmtl`).

"""


def write_api_page():
    """Write ``api.rst``: one autosummary per public module."""
    lines = [API_INTRO]
    for module_name, title, names in api_sections():
        lines += [
            title,
            "-" * len(title),
            "",
            f".. automodule:: {module_name}",
            "   :no-members:",
            "   :no-inherited-members:",
            "",
            f".. currentmodule:: {module_name}",
            "",
        ]
        if names:
            lines += [
                ".. autosummary::",
                "   :toctree: generated/",
                "   :template: skmtl_object.rst",
                "   :nosignatures:",
                "",
            ]
            lines += [f"   {name}" for name in sorted(names, key=_sort_key)]
            lines.append("")
        else:
            lines += ["(no public objects of its own)", ""]
    target = DOCS / "api.rst"
    text = "\n".join(lines) + "\n"
    if not target.is_file() or target.read_text() != text:
        target.write_text(text)


def _sort_key(name):
    # classes (CamelCase) first, then functions, each alphabetically
    return (not name[:1].isupper(), name.lower())


write_api_page()

autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"

# the class template (_templates/autosummary/skmtl_object.rst) documents the
# methods with autodoc; numpydoc's extra table of members would repeat them
numpydoc_show_class_members = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# no intersphinx: the build machines have no network

# --- gallery -----------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # only the plot_ scripts belong to the gallery (and run); the other
    # example scripts take command-line options and are run by the tests
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"^(?!plot_).*\.py$",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "plot_gallery": "True",
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    "min_reported_time": 1,
    "doc_module": ("skmtl",),
    "backreferences_dir": "generated/backreferences",
}

# --- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skmtl {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 8,
}
html_static_path = []
html_show_sourcelink = False
myst_heading_anchors = 3
