"""Constructor errors that name the public class, not a private base.

Estimators that inherit ``__init__`` from a private base class would otherwise
report a misspelt keyword as ``_MultiTaskLinearModel.__init__() got an
unexpected keyword argument 'graph'``. :class:`PublicSignatureMixin` checks the
arguments against the signature of ``type(self).__init__`` before ``__init__``
runs and names the class the user called, its valid parameters and the closest
one. It adds no state, so ``clone``, pickling and ``get_params`` are unchanged.
"""

import difflib
import inspect

__all__ = ["PublicSignatureMixin"]


class PublicSignatureMixin:
    """Raise ``TypeError("<PublicClass>() ...")`` for arguments ``__init__`` lacks."""

    def __new__(cls, *args, **kwargs):
        signature = inspect.signature(cls.__init__)
        try:
            signature.bind(None, *args, **kwargs)
        except TypeError as exc:
            raise TypeError(_message(cls, signature, args, kwargs, exc)) from None
        return super().__new__(cls)


def _message(cls, signature, args, kwargs, exc):
    names = [p for p in signature.parameters if p != "self"]
    valid = f"valid parameters are {', '.join(names)}"
    unknown = [k for k in kwargs if k not in signature.parameters]
    if unknown:
        close = difflib.get_close_matches(unknown[0], names, n=1, cutoff=0.7)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return (
            f"{cls.__name__}() got an unexpected keyword argument "
            f"{unknown[0]!r}{hint}; {valid}."
        )
    positional = [
        p.name
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"
    ]
    if len(args) > len(positional):
        return (
            f"{cls.__name__}() takes at most {len(positional)} positional "
            f"arguments but {len(args)} were given; pass parameters by keyword "
            f"({valid})."
        )
    return f"{cls.__name__}(): {exc}; {valid}."
