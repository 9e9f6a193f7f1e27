"""JSON-schema validation of HistFactory documents, with errors that say where the fault lies.

    validate(spec, "workspace", file="BkgOnly.json")   # schemas/workspace.json, draft 2020-12
    schema("patchset")                                 # the schema itself, as a dict

The schemas (package data) follow the pyhf JSON specification 1.0.0 (Heinrich, Feickert, Stark,
Cranmer, JOSS 6 (2021) 2823; https://pyhf.readthedocs.io/en/stable/likelihood.html). Valid
documents pass through fastjsonschema (10-20x faster on large workspaces); a violation is
described by jsonschema, which finds the most relevant one, and raised as
:class:`likelihub.errors.InvalidModelError` naming the file, channel, sample, modifier and bin.
What a schema cannot say (bin counts, values, names) is checked in :mod:`.checks`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from importlib import resources

import jsonschema
import referencing

from likelihub.errors import InvalidModelError

__all__ = ["SCHEMA_VERSION", "SCHEMA_NAMES", "schema", "validate", "plainly_valid_channel"]

SCHEMA_VERSION = "1.0.0"
#: The schemas shipped in ``likelihub_histfactory/schemas`` (files ``<name>.schema.json``).
SCHEMA_NAMES = ("workspace", "model", "measurement", "modifier", "jsonpatch", "patchset")
_SCHEMA_BASE = f"https://likelihub.invalid/schemas/histfactory/{SCHEMA_VERSION}/"
#: Files named otherwise than ``<name>.schema.json``.
_FILE_NAMES = {"jsonpatch": "json_patch_rfc6902.schema.json"}


@functools.cache
def schema(name: str) -> dict:
    """The JSON schema ``name`` (one of :data:`SCHEMA_NAMES`) as a dictionary."""
    if name not in SCHEMA_NAMES:
        raise ValueError(f"no schema called {name!r}; there are {SCHEMA_NAMES}")
    filename = _FILE_NAMES.get(name, f"{name}.schema.json")
    text = resources.files(__package__).joinpath("schemas", filename).read_text("utf-8")
    return json.loads(text)


@functools.lru_cache(maxsize=1)
def _registry() -> referencing.Registry:
    resources_ = [(_SCHEMA_BASE + f"{n}.json", referencing.Resource.from_contents(schema(n)))
                  for n in SCHEMA_NAMES]
    return referencing.Registry().with_resources(resources_)


@functools.cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema(name), registry=_registry())


@functools.cache
def _fast_validator(name: str):
    """The schema compiled by fastjsonschema (10-20x faster on large workspaces), if installed."""
    try:
        import fastjsonschema
    except ImportError:
        return None
    # fastjsonschema knows drafts up to 07; the keywords our schemas use mean the same there.
    draft07 = dict(schema(name), **{"$schema": "http://json-schema.org/draft-07/schema#"})
    by_uri = {_SCHEMA_BASE + f"{n}.json": n for n in SCHEMA_NAMES}
    return fastjsonschema.compile(draft07, handlers={"https": lambda uri: schema(by_uri[uri])})


def validate(instance, schema_name: str, file: str | None = None, fast: bool = True) -> None:
    """Validate ``instance`` against the schema ``schema_name``.

    Valid documents are accepted by fastjsonschema where it is installed (``fast``); any
    violation is described by jsonschema, which finds the most relevant one.

    Raises
    ------
    InvalidModelError
        For the most relevant violation (:func:`jsonschema.exceptions.best_match`), naming the
        file and the channel, sample, modifier and bin it lies in, and its JSON pointer.
    """
    fast_validator = _fast_validator(schema_name) if fast else None
    if fast_validator is not None:
        try:
            fast_validator(instance)
            return
        except Exception as fast_error:  # fastjsonschema.JsonSchemaValueException
            fast_reason = str(fast_error)
    error = jsonschema.exceptions.best_match(_validator(schema_name).iter_errors(instance))
    if error is None:
        if fast_validator is not None:
            raise InvalidModelError(f"{fast_reason} ({schema_name} schema {SCHEMA_VERSION})",
                                    file=file)
        return
    path = list(error.absolute_path)
    pointer = "/" + "/".join(str(p) for p in path)
    message = _schema_message(error)
    where = _locate(instance, path) if schema_name in ("workspace", "model") else {}
    context = where.pop("context", "")
    raise InvalidModelError(f"{context}{message} (at {pointer}; {schema_name} schema "
                            f"{SCHEMA_VERSION})", file=file, **where)


_NUMBER = (int, float)   # JSON numbers as json.load gives them (bool is no number)
_MODIFIER_DATA_KEYS = {"normsys": {"hi", "lo"}, "histosys": {"hi_data", "lo_data"}}


def _numbers(values) -> bool:
    return type(values) is list and len(values) > 0 and all(type(v) in _NUMBER for v in values)


def _plain_modifier(modifier) -> bool:
    if type(modifier) is not dict or modifier.keys() != {"name", "type", "data"}:
        return False
    kind, data = modifier["type"], modifier["data"]
    if type(modifier["name"]) is not str or type(kind) is not str:
        return False
    if kind in _MODIFIER_DATA_KEYS:
        if type(data) is not dict or data.keys() != _MODIFIER_DATA_KEYS[kind]:
            return False
        if kind == "normsys":
            return type(data["hi"]) in _NUMBER and type(data["lo"]) in _NUMBER
        return _numbers(data["hi_data"]) and _numbers(data["lo_data"])
    if kind in ("shapesys", "staterror"):
        return _numbers(data)
    if kind in ("normfactor", "shapefactor"):
        return data is None
    return kind == "lumi" and data is None and modifier["name"] == "lumi"


def plainly_valid_channel(channel) -> bool:
    """True only where ``channel`` certainly satisfies the model schema's channel definition.

    A fast, stricter reading of the schema (a scan checks ~1000 signal modifiers per point):
    plain ``dict``, ``list``, ``str``, ``int`` and ``float`` as ``json.load`` gives them. False
    does not mean invalid: such a channel goes to :func:`validate`, which decides and names the
    fault.
    """
    if type(channel) is not dict or channel.keys() != {"name", "samples"}:
        return False
    samples = channel["samples"]
    if type(channel["name"]) is not str or type(samples) is not list or not samples:
        return False
    for sample in samples:
        if type(sample) is not dict or sample.keys() != {"name", "data", "modifiers"}:
            return False
        if type(sample["name"]) is not str or not _numbers(sample["data"]):
            return False
        modifiers = sample["modifiers"]
        if type(modifiers) is not list or not all(_plain_modifier(m) for m in modifiers):
            return False
    return True


def _schema_message(error: jsonschema.ValidationError) -> str:
    if len(error.message) <= 160:
        return error.message
    instance = repr(error.instance)
    instance = instance if len(instance) <= 60 else instance[:57] + "..."
    return f"{instance} violates {error.validator} {str(error.validator_value)[:80]}"


def _name_of(item, index) -> str:
    if isinstance(item, Mapping) and isinstance(item.get("name"), str):
        return item["name"]
    return f"#{index}"


def _locate(spec, path: Sequence) -> dict:
    """Channel, sample, modifier and bin (and a textual context) of a JSON path in a workspace."""
    where: dict = {}
    node = spec
    for position, key in enumerate(path):
        parent_key = path[position - 1] if position else None
        try:
            child = node[key]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(key, int):
            if parent_key == "channels":
                where["channel"] = _name_of(child, key)
            elif parent_key == "samples":
                where["sample"] = _name_of(child, key)
            elif parent_key == "modifiers":
                where["modifier"] = _name_of(child, key)
            elif parent_key == "observations":
                where["context"] = f"observation {_name_of(child, key)!r}: "
            elif parent_key == "measurements":
                where["context"] = f"measurement {_name_of(child, key)!r}: "
            elif parent_key in ("data", "lo_data", "hi_data") and position >= 2:
                where["bin"] = key
        node = child
    return where
