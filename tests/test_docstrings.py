"""Public docstrings: numpydoc sections, runnable examples, whole sentences.

The examples themselves run as doctests (``--doctest-modules``); these tests
check that every public class and function has them, and that the fragments
which :func:`skmtl.estimators._docs.fill_doc` puts into the estimators'
docstrings join into whole sentences.
"""

import importlib
import inspect
import re

import pytest

# every public module whose ``__all__`` the API reference lists (docs/conf.py)
PUBLIC_MODULES = [
    "skmtl",
    "skmtl.estimators",
    "skmtl.neural",
    "skmtl.baselines",
    "skmtl.model_selection",
    "skmtl.metrics",
    "skmtl.datasets",
    "skmtl.solvers",
]


def public_objects():
    seen = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            public = inspect.isclass(obj) or inspect.isfunction(obj)
            if public and id(obj) not in seen:
                seen[id(obj)] = (f"{module_name}.{name}", obj)
    return sorted(seen.values(), key=lambda pair: pair[0])


OBJECTS = public_objects()
SECTION = re.compile(r"^(?P<title>[A-Z][A-Za-z ]+)\n-{3,}$", re.MULTILINE)


def sections(doc):
    return [match["title"] for match in SECTION.finditer(doc)]


def description(doc):
    """The summary and extended summary: the text before the first section."""
    match = SECTION.search(doc)
    return doc[: match.start()] if match else doc


NOT_PROSE = (" ", "\t", "..", ">>>")


def broken_joins(text):
    """Pairs of paragraphs where a sentence runs across a blank line.

    A prose paragraph that does not end a sentence (or announce what follows
    with a colon) and is followed by more text is a sentence cut in two: the
    mark of a fragment filled in the middle of a sentence.
    """
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    broken = []
    for first, second in zip(paragraphs[:-1], paragraphs[1:], strict=True):
        if first.startswith(NOT_PROSE) or second.startswith(NOT_PROSE):
            # a directive (a sentence may run on around a displayed formula),
            # its body, a literal block, a doctest
            continue
        last = first.rstrip()
        if last.endswith("::"):
            continue
        if not re.search(r"[.:;!?)]$|``$|\*$", last) or second[:1].islower():
            broken.append((first.splitlines()[-1], second.splitlines()[0]))
    return broken


def test_public_objects_are_found():
    names = {name for name, _ in OBJECTS}
    assert "skmtl.L21Regressor" in names and "skmtl.metrics.r2_score" in names
    assert len(names) > 40


@pytest.mark.parametrize("name, obj", OBJECTS, ids=[name for name, _ in OBJECTS])
def test_docstring_has_numpydoc_sections_and_examples(name, obj):
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    found = sections(doc)
    assert "Examples" in found, f"{name} has no Examples section (has {found})"
    examples = doc[doc.index("Examples\n--------") :]
    assert ">>> " in examples, f"{name}'s Examples section has no doctest"
    if inspect.isclass(obj) and hasattr(obj, "fit"):
        assert "Parameters" in found, f"{name} documents no parameters"


@pytest.mark.parametrize("name, obj", OBJECTS, ids=[name for name, _ in OBJECTS])
def test_description_is_made_of_whole_sentences(name, obj):
    doc = inspect.getdoc(obj)
    assert not broken_joins(description(doc or "")), (
        f"{name}: a sentence is split by a blank line (a template fill in the "
        f"middle of a sentence?): {broken_joins(description(doc))}"
    )


# numpydoc's entries: "name : type", "x, y : type", "*arrays : type", "name",
# "(X, Y) : type"
ENTRY = re.compile(r"^\(?\**[A-Za-z_]\w*(\s*,\s*\**[A-Za-z_]\w*)*\)?(\s+:.*)?\s*$")


def stray_paragraphs(doc):
    """Prose at the level of the entries of a Parameters-like section.

    numpydoc reads every unindented line of such a section as the start of
    an entry (``name : type``); a paragraph of prose there becomes a list of
    bogus parameters in the rendered documentation.
    """
    stray = []
    matches = list(SECTION.finditer(doc))
    for match, following in zip(
        matches, [*matches[1:], None][: len(matches)], strict=True
    ):
        if match["title"] not in ("Parameters", "Attributes", "Returns", "Yields"):
            continue
        body = doc[match.end() : following.start() if following else len(doc)]
        for line in body.splitlines():
            if line[:1] in ("", " ") or line.startswith("default="):
                continue
            if not ENTRY.match(line):
                stray.append(line)
    return stray


@pytest.mark.parametrize("name, obj", OBJECTS, ids=[name for name, _ in OBJECTS])
def test_no_prose_among_the_parameters(name, obj):
    stray = stray_paragraphs(inspect.getdoc(obj) or "")
    assert not stray, f"{name}: prose read as parameter entries: {stray}"


def test_stray_paragraph_detector():
    doc = "Summary.\n\nParameters\n----------\nx : int\n    The x.\n\n"
    assert not stray_paragraphs(doc + "Returns\n-------\ny : int\n")
    assert stray_paragraphs(doc + "With ``x=1`` the y is 2.\n\nReturns\n-------\n")


def test_broken_join_detector():
    # the fill that used to give "the data term<blank line>of :class:`...`"
    assert broken_joins("where L is the\ndata term\n\nof :class:`L21Regressor`.")
    assert broken_joins("the penalty and l1 is ``l1``\n\nwith the data term of L.")
    assert not broken_joins("Minimises over W\n\n.. math::\n\n    x\n\nwhere x is y.")
    assert not broken_joins("One sentence.\n\nAnother one (with a note).")
