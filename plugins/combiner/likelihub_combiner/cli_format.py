"""Combinations described in a small JSON file, as files of ``likelihub cls|limit|fit|significance FILE``.

    likelihub limit combination.json
    likelihub inspect combination.json            # the combined model's parameters

The file (paths relative to its folder)::

    {
      "components": [
        {"name": "cms", "file": "CMS-SUS-20-004-eff.json",
         "options": {"signal": "cms_signal.json", "model": "correlated"}},
        {"name": "atlas", "file": "sbottom.tar.gz", "format": "histfactory",
         "options": {"member": "RegionA/BkgOnly.json", "patchset": "RegionA/patchset.json",
                     "patch_name": "sbottom_600_280_150"}}
      ],
      "correlate": "names",
      "correlation": [["atlas/lumi", "cms/lumi", 0.5]],
      "shared_poi": true,
      "signal_scales": {"cms": 1.0}
    }

Each component is read as ``likelihub cls FILE`` would read it: by the format that recognises
``file`` (or the one ``format`` names, a format's or its backend's name), with that format's
``options`` keyed by their Python names or their flags, with or without the dashes
(``patch_name``, ``--patch-name``; ``patch`` or ``patches``: a file or a list of files). A string
option (or a string in a list) that names an existing file relative to the combination's folder
is that file; others pass as given (members of a pallet). ``name`` (default: ``component<i>``)
prefixes the component's parameters (``atlas/lumi``). The rest is :func:`likelihub.combine`'s:
``correlate`` (``"names"``, a list of names, or a mapping ``{"atlas/lumi": "cms/lumi"}``),
``correlation`` (a list of ``[name, name, rho]``: Gaussian constraints made one bivariate normal),
``shared_poi``, ``signal_scales``.

A file is recognised by its content: a JSON object whose first MiB holds ``"components": [``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path

import likelihub
from likelihub.errors import InvalidModelError
from likelihub.plugin import file_head, open_model

__all__ = ["is_combination", "OPTIONS", "open_combination", "KEYS", "COMPONENT_KEYS"]

#: How much of a file :func:`is_combination` reads.
HEAD_BYTES = 1 << 20

#: The keys of a combination file, and of each component.
KEYS = ("components", "correlate", "correlation", "shared_poi", "signal_scales")
COMPONENT_KEYS = ("name", "file", "format", "options")

#: A combination file's files take no command-line option: the file says everything.
OPTIONS: list = []

#: The combination files being opened, outermost first (a component naming one of them is a cycle).
_OPENING: ContextVar[tuple[Path, ...]] = ContextVar("likelihub_combiner_opening", default=())

_COMPONENTS = re.compile(rb'"components"\s*:\s*\[')


def is_combination(path: str) -> bool:
    """Whether ``path`` is a combination file: a JSON object with a list of ``"components"``."""
    if path == "-":
        return False
    head = file_head(path, HEAD_BYTES)
    return head.lstrip().startswith(b"{") and _COMPONENTS.search(head) is not None


def _document(path: str) -> dict:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidModelError("no such file", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidModelError(f"cannot be read ({type(error).__name__}: {error})", file=str(path)) from None
    except ValueError as error:
        raise InvalidModelError(f"is not JSON ({error})", file=str(path)) from None
    if not isinstance(document, dict):
        raise InvalidModelError("a combination is a JSON object with \"components\"", file=str(path))
    unknown = sorted(set(document) - set(KEYS))
    if unknown:
        raise InvalidModelError(f"unknown key(s) {', '.join(map(repr, unknown))}; a combination has "
                                f"{', '.join(KEYS)}", file=str(path))
    components = document.get("components")
    if not isinstance(components, list) or not components:
        raise InvalidModelError("\"components\" must be a non-empty list of {\"file\": ..., ...}",
                                file=str(path))
    return document


def _resolved(value, folder: Path):
    """A string naming an existing file relative to ``folder``: that file; lists element-wise."""
    if isinstance(value, str) and not Path(value).is_absolute() and (folder / value).is_file():
        return str(folder / value)
    if isinstance(value, list):
        return [_resolved(item, folder) for item in value]
    return value


def _component(index: int, entry, folder: Path, path: str):
    """(name, model) of the component ``entry``."""
    where = f"components[{index}]"
    if not isinstance(entry, Mapping):
        raise InvalidModelError(f"{where} must be an object with \"file\"", file=path)
    unknown = sorted(set(entry) - set(COMPONENT_KEYS))
    if unknown:
        raise InvalidModelError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; a component has "
                                f"{', '.join(COMPONENT_KEYS)}", file=path)
    name = entry.get("name", f"component{index}")
    file, format_name, options = entry.get("file"), entry.get("format"), entry.get("options", {})
    if not isinstance(name, str) or not name:
        raise InvalidModelError(f"{where}: \"name\" must be a non-empty string, got {name!r}", file=path)
    if not isinstance(file, str) or not file:
        raise InvalidModelError(f"{where} ({name!r}): \"file\" must be the path of a model file", file=path)
    if not isinstance(options, Mapping):
        raise InvalidModelError(f"{where} ({name!r}): \"options\" must be an object", file=path)
    target = str(folder / file) if not Path(file).is_absolute() else file
    if Path(target).resolve() in _OPENING.get():
        raise InvalidModelError(f"{where} ({name!r}): \"file\" {file!r} is a combination that includes "
                                "this component: a cycle", file=path)
    try:
        given = {str(key): _resolved(value, folder) for key, value in options.items()}
        return name, open_model(target, format=format_name, **given)
    except InvalidModelError as error:  # say which component (its file is said once, by "file")
        raise type(error)(f"{where} ({name!r}): {_inner(error, target)}", file=path) from None


def _inner(error: InvalidModelError, target: str) -> str:
    """``error``'s message without its location ``file``, where that is the component's ``target``."""
    location = getattr(error, "location", {})
    if location.get("file") not in (target, str(target)):
        return str(error)
    keys = ("channel", "sample", "modifier", "bin", "argument")
    where = ", ".join(f"{key} {location[key]!r}" for key in keys if location.get(key) is not None)
    return f"{where}: {error.reason}" if where else error.reason


def _correlation(value, path: str):
    """``[[a, b, rho], ...]`` (or a mapping ``{"a,b": rho}``) as the ``{(a, b): rho}`` of combine."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        pairs = [(*key.split(","), rho) for key, rho in value.items()]
    elif isinstance(value, list):
        pairs = value
    else:
        pairs = None
    if pairs is None or not all(isinstance(p, (list, tuple)) and len(p) == 3 for p in pairs):
        raise InvalidModelError("\"correlation\" must be a list of [name, name, rho]", file=path)
    return {(str(a).strip(), str(b).strip()): rho for a, b, rho in pairs}


def open_combination(path: str):
    """The combined model of the combination file ``path`` (:func:`likelihub.combine` of its
    components, each read by its format).

    Raises
    ------
    likelihub.errors.InvalidModelError
        The file is malformed, a component cannot be read (the message names it: ``components[1]
        ('cms')``), or the combination refuses the components (names, correlations).
    """
    document = _document(path)
    folder = Path(path).resolve().parent
    opening = _OPENING.get()
    if Path(path).resolve() in opening:
        chain = " -> ".join(str(p) for p in (*opening, Path(path).resolve()))
        raise InvalidModelError(f"the combination includes itself ({chain})", file=str(path))
    token = _OPENING.set((*opening, Path(path).resolve()))
    try:
        components = [_component(i, entry, folder, str(path))
                      for i, entry in enumerate(document["components"])]
    finally:
        _OPENING.reset(token)
    options = {}
    if document.get("signal_scales") is not None:
        options["signal_scales"] = document["signal_scales"]
    try:
        return likelihub.combine(*(model for _, model in components), names=[name for name, _ in components],
                                 correlate=document.get("correlate"),
                                 correlation=_correlation(document.get("correlation"), str(path)),
                                 shared_poi=document.get("shared_poi", True), **options)
    except InvalidModelError as error:
        raise type(error)(str(error), file=str(path)) from None
