"""The documentation pages' code runs, and the API reference covers the API.

The pages in ``docs/`` show their examples as doctests (``>>>``); this runs
them, so a page cannot drift from what the code does. The site itself is
built by ``bash docs/build.sh`` (called by ``.ci/run``), which needs the
``docs`` extra.
"""

import ast
import doctest
from pathlib import Path

import pytest
from test_docstrings import PUBLIC_MODULES

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(path.name for path in DOCS.glob("*.rst") if ">>> " in path.read_text())


def test_pages_with_examples_are_found():
    assert {"getting_started.rst", "data_model.rst", "tuning.rst"} <= set(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(page):
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testfile(
        str(DOCS / page), module_relative=False, optionflags=flags, verbose=False
    )
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} failed in {page}"


def test_api_reference_lists_every_public_module():
    # docs/conf.py writes the API page from API_MODULES' __all__ lists
    tree = ast.parse((DOCS / "conf.py").read_text())
    [value] = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(getattr(t, "id", None) == "API_MODULES" for t in node.targets)
    ]
    modules = [module for module, _ in ast.literal_eval(value)]
    assert modules == PUBLIC_MODULES
