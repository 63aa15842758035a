"""Sphinx helpers of skmtl's documentation.

``.. skmtl-description:: skmtl.L21Regressor`` inserts the summary and the
extended summary of an object's docstring (for an estimator: its exact
objective, as ``.. math::``), so that the user guide shows each model's
objective in the very words of its docstring and the two cannot disagree.

``.. skmtl-remaining-models::`` then lists, with the same descriptions, every
estimator exported by :mod:`skmtl` that the page has not described yet: a new
model appears in the user guide with its objective without any edit, and
``.. skmtl-cv-estimators::`` lists the exported cross-validated estimators.
"""

import importlib

from docutils import nodes
from docutils.statemachine import StringList
from numpydoc.docscrape import ClassDoc, FunctionDoc
from sphinx.util.docutils import SphinxDirective


def _resolve(path):
    module_name, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module_name), name)


def _described(env):
    return env.temp_data.setdefault("skmtl_described", set())


def _description(directive, path, obj, rubric=True):
    doc = ClassDoc(obj, config={}) if isinstance(obj, type) else FunctionDoc(obj)
    lines = [*doc["Summary"], "", *doc["Extended Summary"]]
    module, _, name = path.rpartition(".")
    text = [f".. currentmodule:: {module}", ""]
    if rubric:
        text += [f".. rubric:: :class:`{name}`", ""]
    text += [*lines, ""]
    container = nodes.container(classes=["skmtl-description"])
    lines = StringList(text, source=f"docstring of {path}")
    directive.state.nested_parse(lines, directive.content_offset, container)
    return container


class DescriptionDirective(SphinxDirective):
    """The summary and extended summary of an object's numpydoc docstring."""

    required_arguments = 1
    has_content = False

    def run(self):
        path = self.arguments[0]
        obj = _resolve(path)
        _described(self.env).add(obj)
        return [_description(self, path, obj)]


class RemainingModelsDirective(SphinxDirective):
    """A section per exported estimator not described earlier on the page."""

    has_content = False

    def run(self):
        import skmtl

        done = _described(self.env)
        result = []
        for name in skmtl.__all__:
            obj = getattr(skmtl, name)
            if not isinstance(obj, type) or not hasattr(obj, "fit") or obj in done:
                continue
            if name.endswith(("Baseline", "CV")) or name in ("Comparison",):
                continue  # baselines and CV wrappers have pages of their own
            done.add(obj)
            section = nodes.section(ids=[f"model-{name.lower()}"])
            section += nodes.title(text=name)
            doc = ClassDoc(obj, config={})
            text = [".. currentmodule:: skmtl", "", *doc["Summary"], ""]
            text += [f"Objective and parameters: :class:`{name}`.", ""]
            body = nodes.container()
            lines = StringList(text, source=f"docstring of skmtl.{name}")
            self.state.nested_parse(lines, self.content_offset, body)
            section += body
            result.append(section)
        if not result:
            paragraph = nodes.paragraph(
                text="(Every exported model is described above.)"
            )
            result.append(paragraph)
        return result


class CVEstimatorsDirective(SphinxDirective):
    """A list of the cross-validated estimators (``*CV``) :mod:`skmtl` exports."""

    has_content = False

    def run(self):
        import skmtl

        names = [name for name in skmtl.__all__ if name.endswith("CV")]
        if not names:
            text = ["(No cross-validated estimator in this version.)"]
        else:
            text = [f"* :class:`skmtl.{name}`" for name in sorted(names)]
        container = nodes.container()
        lines = StringList([*text, ""], source="skmtl.__all__")
        self.state.nested_parse(lines, self.content_offset, container)
        return [container]


def setup(app):
    app.add_directive("skmtl-description", DescriptionDirective)
    app.add_directive("skmtl-remaining-models", RemainingModelsDirective)
    app.add_directive("skmtl-cv-estimators", CVEstimatorsDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
