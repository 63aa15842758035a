"""Sphinx helpers of skmtl's documentation.

``.. skmtl-description:: skmtl.L21Regressor`` inserts the summary and the
extended summary of an object's docstring (for an estimator: its exact
objective, as ``.. math::``), so that the user guide shows each model's
objective in the very words of its docstring and the two cannot disagree.
"""

import importlib

from docutils import nodes
from docutils.statemachine import StringList
from numpydoc.docscrape import ClassDoc, FunctionDoc
from sphinx.util.docutils import SphinxDirective


def _resolve(path):
    module_name, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module_name), name)


class DescriptionDirective(SphinxDirective):
    """The summary and extended summary of an object's numpydoc docstring."""

    required_arguments = 1
    has_content = False

    def run(self):
        path = self.arguments[0]
        obj = _resolve(path)
        doc = ClassDoc(obj, config={}) if isinstance(obj, type) else FunctionDoc(obj)
        lines = [*doc["Summary"], "", *doc["Extended Summary"]]
        module = path.rpartition(".")[0]
        text = [f".. currentmodule:: {module}", "", *lines, ""]
        container = nodes.container(classes=["skmtl-description"])
        lines = StringList(text, source=f"docstring of {path}")
        self.state.nested_parse(lines, self.content_offset, container)
        return [container]


def setup(app):
    app.add_directive("skmtl-description", DescriptionDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
