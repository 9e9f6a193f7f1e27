"""The factories :func:`likelihub.get_backend` returns: a plugin's factory wrapped by the core.

The wrapper shows the plugin factory's own parameters (``inspect.signature``, ``help()``, IDEs)
plus the core's keyword-only ``fit_options`` and ``name``, and its docstring is the plugin's with
the core's parameters added to the Parameters section. Before any work it refuses:

- an unknown keyword, with an :class:`~likelihub.errors.InvalidArgumentError` naming the keyword,
  the backend, the valid keywords and the closest one (``third_moments=`` -> ``third_moment``);
- arguments that do not bind (a missing required argument, too many positional ones), the same way.

A plugin factory that takes ``**kwargs`` keeps them: its keywords pass through unchecked.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import textwrap
from collections.abc import Callable, Mapping

from likelihub.errors import InvalidArgumentError

__all__ = ["CORE_PARAMETERS", "wrap_factory", "factory_signature", "merge_docstring", "check_call",
           "documented_parameters", "closest_keyword"]

#: The keywords every factory takes from the core, and their documentation (numpydoc entries).
CORE_PARAMETERS = {
    "fit_options": ("fit_options : Mapping or None",
                    "Keywords for every fit of the model (``method``, ``edm_max``, ``max_calls``, "
                    "``time_limit``; see :func:`likelihub.fits.engine.fit`), merged over the "
                    "backend's own defaults. Added by the likelihub core."),
    "name": ("name : str or None",
             "A label for the model (the combiner prefixes its parameter names with it). Added by the "
             "likelihub core."),
}

_SECTION_UNDERLINE = "----------"


def factory_signature(target: Callable) -> inspect.Signature:
    """The signature of the wrapped factory: ``target``'s parameters (those named ``fit_options``
    or ``name`` dropped: the core's replace them), then the core's keyword-only ``fit_options`` and
    ``name``, then ``target``'s ``**kwargs`` if it has them."""
    try:
        try:  # annotations evaluated where they can be (help() then shows types, not strings)
            own = inspect.signature(target, eval_str=True)
        except Exception:
            own = inspect.signature(target)
    except (TypeError, ValueError):  # a builtin without a signature: anything goes
        own = inspect.Signature([inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL),
                                 inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)])
    kept = [p for p in own.parameters.values() if p.name not in CORE_PARAMETERS]
    head = [p for p in kept if p.kind is not inspect.Parameter.VAR_KEYWORD]
    tail = [p for p in kept if p.kind is inspect.Parameter.VAR_KEYWORD]
    core = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None)
            for name in CORE_PARAMETERS]
    from likelihub.model import StatisticalModel

    return own.replace(parameters=[*head, *core, *tail], return_annotation=StatisticalModel)


def _keywords(signature: inspect.Signature) -> list[str]:
    """The names ``signature`` accepts as keywords."""
    return [p.name for p in signature.parameters.values()
            if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]


def closest_keyword(keyword: str, valid: list[str]) -> list[str]:
    """The valid keyword ``keyword`` most likely meant, as a list of none or one: one that contains
    it or is contained in it (ignoring case and underscores: ``freezeParameters`` -> ``freeze``),
    else the closest by :func:`difflib.get_close_matches`."""
    def plain(text: str) -> str:
        return text.replace("_", "").lower()

    nested = [v for v in valid if plain(v) in plain(keyword) or plain(keyword) in plain(v)]
    if nested:
        return [max(nested, key=lambda v: difflib.SequenceMatcher(None, keyword, v).ratio())]
    return difflib.get_close_matches(keyword, valid, n=1)


def check_call(backend: str, signature: inspect.Signature, args: tuple, kwargs: dict) -> None:
    """Refuse keywords ``signature`` does not take, and arguments that do not bind to it.

    Raises
    ------
    likelihub.errors.InvalidArgumentError
        Naming the argument, the backend, the valid keywords and the closest one.
    """
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
    valid = _keywords(signature)
    if not accepts_any:
        for keyword in kwargs:
            if keyword not in valid:
                close = closest_keyword(keyword, valid)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise InvalidArgumentError(
                    f"backend {backend!r} takes no keyword {keyword!r}{hint} Its keywords: "
                    f"{', '.join(valid)} (help(likelihub.get_backend({backend!r})) describes them)",
                    argument=keyword)
    try:
        signature.bind(*args, **kwargs)
    except TypeError as error:
        missing = [p.name for p in signature.parameters.values()
                   if p.default is inspect.Parameter.empty and p.name in valid
                   and p.name not in kwargs and p.name in str(error)]
        raise InvalidArgumentError(f"backend {backend!r}: {error} (its arguments: {', '.join(valid)})",
                                   argument=missing[0] if missing else None) from None


def _core_entries(documented: set[str]) -> str:
    return "\n".join(f"{head}\n    {textwrap.fill(text, 92, subsequent_indent='    ')}"
                      for name, (head, text) in CORE_PARAMETERS.items() if name not in documented)


def documented_parameters(doc: str | None) -> list[str]:
    """The names of the entries of ``doc``'s numpydoc Parameters section (``a, b : type`` names
    both ``a`` and ``b``; ``*args``, ``**kwargs`` without their stars); [] where it has none."""
    lines = inspect.cleandoc(doc or "").splitlines()
    start, end = _parameters_section(lines)
    if start is None:
        return []
    names = []
    for line in lines[start + 2:end]:
        if line.strip() and not line.startswith(" "):
            names += [part.strip().lstrip("*") for part in line.split(" : ")[0].split(",")]
    return [name for name in names if name]


def _parameters_section(lines: list[str]) -> tuple[int | None, int]:
    """(index of the "Parameters" line, index past the section's last non-blank line)."""
    start = next((i for i in range(len(lines) - 1)
                  if lines[i].strip() == "Parameters" and lines[i + 1].strip().startswith("---")), None)
    if start is None:
        return None, len(lines)
    end = len(lines)
    for i in range(start + 2, len(lines) - 1):
        if lines[i].strip() and not lines[i].startswith(" ") and lines[i + 1].strip().startswith("---"):
            end = i
            break
    while end > start + 2 and not lines[end - 1].strip():
        end -= 1
    return start, end


def merge_docstring(backend: str, header: str, doc: str | None) -> str:
    """``header``, then the plugin factory's docstring ``doc`` with the core's parameters appended
    to its numpydoc Parameters section (a Parameters section is made where it has none)."""
    body = inspect.cleandoc(doc) if doc else f"The factory of backend {backend!r}."
    lines = body.splitlines()
    entries = _core_entries(set(documented_parameters(body))).splitlines()
    start, end = _parameters_section(lines)
    if start is None:
        lines += ["", "Parameters", _SECTION_UNDERLINE, *entries]
    else:
        lines[end:end] = entries
    return f"{header}\n\n" + "\n".join(lines)


def wrap_factory(info, target: Callable) -> Callable:
    """The factory of backend ``info`` (a :class:`~likelihub.registry.plugins.BackendInfo`) built
    from the plugin's ``target``: it checks the arguments, builds the backend and returns a
    :class:`~likelihub.StatisticalModel` with the core's ``fit_options`` and ``name`` applied."""
    signature = factory_signature(target)

    @functools.wraps(target, updated=())
    def factory(*args, fit_options=None, name=None, **kwargs):
        from likelihub.model import StatisticalModel

        check_call(info.name, signature, args, {**kwargs, "fit_options": fit_options, "name": name})
        if fit_options is not None and not isinstance(fit_options, Mapping):
            raise InvalidArgumentError(f"must be a mapping of fit keywords, got {type(fit_options).__name__}",
                                       argument="fit_options")
        if name is not None and not isinstance(name, str):
            raise InvalidArgumentError(f"must be a name (a string) or None, got {type(name).__name__}",
                                       argument="name")
        built = target(*args, **kwargs)
        if isinstance(built, StatisticalModel):
            if fit_options is not None:
                built.fit_options = {**built.fit_options, **fit_options}
            if name is not None:
                built.name = name
            return built
        return StatisticalModel(built, name=name, fit_options=fit_options)

    factory.__name__ = info.name.replace(".", "_")
    factory.__qualname__ = factory.__name__
    factory.__signature__ = signature
    header = f"Build a {info.name!r} model ({info.plugin} {info.version})."
    if info.description:
        header += f"\n\n{info.description}"
    factory.__doc__ = merge_docstring(info.name, header, target.__doc__)
    factory.info = info
    return factory
