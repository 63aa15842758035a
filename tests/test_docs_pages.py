"""The documentation pages' code runs, and the API reference covers the API.

The pages in ``docs/`` show their examples as doctests (``>>>``); this runs
them, so a page cannot drift from what the code does. The site itself is
built by ``bash docs/build.sh`` (called by ``.ci/run``), which needs the
``docs`` extra.
"""

import ast
import doctest
import re
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


# --- the migration guide and the models page cover what they claim ---------
# MALSAR's convex supervised formulations (its function list) and RMTL's
# Regularization values (its MTL() documentation): each must be mapped
MALSAR_FUNCTIONS = [
    f"{loss}_{name}"
    for name in ("Lasso", "L21", "Trace", "Dirty", "rMTFL", "CMTL", "CASO",
                 "SRMTL", "TGL", "CFGLasso")
    for loss in ("Least", "Logistic")
] + ["Least_SparseTrace", "Least_RMTL"]
RMTL_REGULARIZATIONS = ["L21", "Lasso", "Trace", "Graph", "CMTL"]


def test_migration_guide_maps_every_malsar_function():
    page = (DOCS / "migrating.rst").read_text()
    table = page[page.index("MALSAR\n------") : page.index("RMTL\n----")]
    missing = [name for name in MALSAR_FUNCTIONS if f"``{name}``" not in table]
    assert not missing, f"not in the MALSAR table of migrating.rst: {missing}"


def test_migration_guide_maps_every_rmtl_regularization():
    page = (DOCS / "migrating.rst").read_text()
    table = page[page.index("RMTL\n----") : page.index("scikit-learn\n------")]
    missing = [name for name in RMTL_REGULARIZATIONS if f'``"{name}"``' not in table]
    assert not missing, f"not in the RMTL table of migrating.rst: {missing}"


def test_migration_guide_names_real_classes():
    import skmtl

    page = (DOCS / "migrating.rst").read_text()
    named = set(re.findall(r":class:`~?(?:skmtl\.(?:model_selection\.)?)?(\w+)`", page))
    unknown = sorted(name for name in named if not hasattr(skmtl, name))
    assert not unknown, f"migrating.rst names classes skmtl lacks: {unknown}"
    assert len(named) >= 20


def test_models_page_describes_every_model():
    # a model without its own section falls into the generated "Other models"
    from skmtl._registry import estimator_classes

    page = (DOCS / "models.rst").read_text()
    described = set(re.findall(r"^\.\. skmtl-description:: skmtl\.(\w+)$", page, re.M))
    missing = sorted(set(estimator_classes()) - described)
    assert not missing, f"models.rst has no section for {missing}"


def test_readme_links_point_to_files():
    readme = (DOCS.parent / "README.md").read_text()
    links = re.findall(r"\]\(([^)#]+)\)", readme)
    relative = [link for link in links if "://" not in link]
    assert len(relative) >= 10, relative
    broken = [link for link in relative if not (DOCS.parent / link).exists()]
    assert not broken, f"README links to missing files: {broken}"
