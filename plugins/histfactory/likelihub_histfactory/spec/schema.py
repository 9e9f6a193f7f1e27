"""JSON-schema validation of HistFactory documents, with errors that say where the fault lies.

    validate(spec, "workspace", file="BkgOnly.json")   # schemas/workspace.json, draft 2020-12
    schema("patchset")                                 # the schema itself, as a dict
    valid_channel(channel)                             # the schema's verdict on a channel, fast

The schemas (package data) follow the pyhf JSON specification 1.0.0 (Heinrich, Feickert, Stark,
Cranmer, JOSS 6 (2021) 2823; https://pyhf.readthedocs.io/en/stable/likelihood.html). Valid
documents pass through fastjsonschema (10-20x faster on large workspaces); a violation is
described by jsonschema, which finds the most relevant one, and raised as
:class:`likelihub.errors.InvalidModelError` naming the file, channel, sample, modifier and bin.
The schemas are the only statement of the format: :func:`valid_channel`, the fast path of scans,
compiles its validators from them.
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

__all__ = ["SCHEMA_VERSION", "SCHEMA_NAMES", "schema", "validate", "valid_channel"]

SCHEMA_VERSION = "1.0.0"
#: The schemas shipped in ``likelihub_histfactory/spec/schemas`` (files ``<name>.schema.json``).
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


def _compile(definition: dict):
    """``definition`` compiled by fastjsonschema (references to the other schemas resolved), or
    None where fastjsonschema is not installed."""
    try:
        import fastjsonschema
    except ImportError:
        return None
    # fastjsonschema knows drafts up to 07; the keywords our schemas use mean the same there.
    draft07 = dict(definition, **{"$schema": "http://json-schema.org/draft-07/schema#"})
    by_uri = {_SCHEMA_BASE + f"{n}.json": n for n in SCHEMA_NAMES}
    return fastjsonschema.compile(draft07, handlers={"https": lambda uri: schema(by_uri[uri])})


@functools.cache
def _fast_validator(name: str):
    """The schema compiled by fastjsonschema (10-20x faster on large workspaces), if installed."""
    return _compile(schema(name))


def _modifier_schema(modifier_type: str) -> dict | None:
    """The modifier schema for modifiers of one type: its ``allOf`` of ``if type is ... then
    ...`` branches resolved for that type (the ``then`` of each branch whose ``if`` holds joined to
    the base properties), so that a validator need not try every branch. None where a branch is
    not of that form (no fast path then)."""
    base = schema("modifier")
    properties = {key: [value] for key, value in base["properties"].items()}
    properties["type"] = [{"const": modifier_type}]
    for branch in base.get("allOf", []):
        condition, then = branch.get("if", {}), branch.get("then", {})
        test = condition.get("properties", {}).get("type", {})
        if (set(branch) != {"if", "then"} or set(condition) != {"properties", "required"}
                or set(condition["properties"]) != {"type"} or condition["required"] != ["type"]
                or set(test) not in ({"const"}, {"enum"}) or set(then) != {"properties"}):
            return None
        if modifier_type in test.get("enum", [test.get("const")]):
            for key, value in then["properties"].items():
                properties.setdefault(key, []).append(value)
    specialised = {key: value for key, value in base.items() if key not in ("allOf", "$id", "properties")}
    specialised["properties"] = {key: values[0] if len(values) == 1 else {"allOf": values}
                                 for key, values in properties.items()}
    return _inline_references(specialised, base.get("$defs", {}))


def _inline_references(node, definitions: dict):
    """``node`` with its references to ``#/$defs/...`` replaced by the definitions (the compiled
    validator then calls no function per definition: a third faster on a scan's modifiers)."""
    if isinstance(node, dict):
        reference = node.get("$ref")
        if set(node) == {"$ref"} and isinstance(reference, str) and reference.startswith("#/$defs/"):
            return _inline_references(definitions[reference.removeprefix("#/$defs/")], definitions)
        return {key: _inline_references(value, definitions) for key, value in node.items() if key != "$defs"}
    if isinstance(node, list):
        return [_inline_references(value, definitions) for value in node]
    return node


@functools.cache
def _sample_validators() -> tuple | None:
    """Validators of a channel whose samples' modifiers are left out, and of a modifier of each
    type (:func:`_modifier_schema`); None without fastjsonschema or for a schema of another form."""
    channel = _compile({**schema("model")["$defs"]["channel"], "$id": _SCHEMA_BASE + "model.json",
                        "$defs": schema("model")["$defs"]})
    by_type = {}
    for modifier_type in schema("modifier")["properties"]["type"]["enum"]:
        definition = _modifier_schema(modifier_type)
        by_type[modifier_type] = None if definition is None else _compile(definition)
    if channel is None or None in by_type.values():
        return None
    return channel, by_type


def valid_channel(channel) -> bool:
    """Whether ``channel`` satisfies the model schema's channel definition (the schema's verdict).

    The fast path of a scan, which checks ~1000 new signal modifiers per point: validators
    compiled by fastjsonschema from the schema itself, the channel and its samples with their
    modifiers left out, then each modifier by the modifier schema resolved for its type (1Lbb's
    893 signal modifiers: 3 ms, against 20 ms for the whole modifier schema, whose ``if``/``then``
    branches fail by exceptions).
    False where the channel is invalid, is not made of plain ``dict`` and ``list`` as ``json.load``
    gives them, or fastjsonschema is missing: :func:`validate` then decides and names the fault.
    """
    validators = _sample_validators()
    if validators is None or type(channel) is not dict or type(channel.get("samples")) is not list:
        return False
    channel_validator, by_type = validators
    samples = channel["samples"]
    if not all(type(s) is dict and type(s.get("modifiers")) is list for s in samples):
        return False
    try:
        channel_validator({**channel, "samples": [{**s, "modifiers": []} for s in samples]})
        for sample in samples:
            for modifier in sample["modifiers"]:
                validator = by_type.get(modifier.get("type")) if type(modifier) is dict else None
                if validator is None:
                    return False
                validator(modifier)
    except Exception:  # fastjsonschema.JsonSchemaValueException: not valid
        return False
    return True


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
