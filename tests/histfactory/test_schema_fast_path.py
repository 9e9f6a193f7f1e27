"""``valid_channel``: the scan's fast validation of new samples, by validators compiled from the
model schema, never accepts what the schema rejects, and accepts the published signal samples (so
the fast path is taken).

Origin of the verdicts: the JSON schema itself, through jsonschema (``validate(..., fast=False)``),
the authority on validity. The fast check must never pass invalid input; it is compiled from the
same schema, so it also accepts what the schema accepts (else a scan would take the slow path).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from likelihub.errors import InvalidModelError
from likelihub_histfactory.spec.patchset import PatchSet
from likelihub_histfactory.spec.schema import valid_channel, validate
from likelihub_histfactory.spec.workspace import Workspace

DATA = Path(__file__).parent / "data"
CHANNELS = json.loads((DATA / "all_modifiers.json").read_text())["channels"]


def schema_accepts(channel) -> bool:
    try:
        validate({"channels": [channel]}, "model", fast=False)
    except InvalidModelError:
        return False
    return True


def _replacements(value):
    """Values of the wrong JSON type, or of the right type but out of the schema."""
    return [None, True, 1, 1.5, "1", [], ["1"], [True], [1.0, None], {}, {"x": 1}]


def mutations(channel):
    """The channel changed in one place each: every key dropped, an unknown key added, every value
    replaced by values of other types."""
    def paths(node, path=()):
        yield path
        if isinstance(node, dict):
            for key, value in node.items():
                yield from paths(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from paths(value, (*path, index))

    for path in paths(channel):
        if not path:
            continue
        parent = channel
        for key in path[:-1]:
            parent = parent[key]
        for replacement in _replacements(parent[path[-1]]):
            changed = copy.deepcopy(channel)
            target = changed
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = replacement
            yield changed
        if isinstance(parent, dict):
            changed = copy.deepcopy(channel)
            target = changed
            for key in path[:-1]:
                target = target[key]
            del target[path[-1]]
            yield changed
            target["unexpected"] = 1
            yield changed


@pytest.mark.parametrize("channel", CHANNELS, ids=[c["name"] for c in CHANNELS])
def test_fast_check_never_passes_what_the_schema_rejects(channel):
    assert valid_channel(channel) and schema_accepts(channel)
    n_rejected = n_checked = 0
    for changed in mutations(channel):
        n_checked += 1
        if valid_channel(changed):
            assert schema_accepts(changed), json.dumps(changed)
        else:
            n_rejected += 1
            # compiled from the schema: its verdict is the schema's, not a stricter one
            assert not schema_accepts(changed), json.dumps(changed)
    # Most mutations break the schema: the fast check must have refused many (not vacuous).
    assert n_checked > 200 and n_rejected > 0.8 * n_checked


@pytest.mark.parametrize("modifier, reason", [
    ({"name": "other", "type": "lumi", "data": None}, "lumi must be named lumi"),
    ({"name": "n", "type": "normsys", "data": {"hi": 1.1, "lo": True}}, "a bool is no number"),
    ({"name": "h", "type": "histosys", "data": {"hi_data": [], "lo_data": []}}, "no bins"),
    ({"name": "s", "type": "staterror", "data": [1.0, "2"]}, "a string"),
    ({"name": "f", "type": "normfactor", "data": [1.0]}, "normfactor has no data"),
    ({"name": "f", "type": "unknown", "data": None}, "unknown type"),
])
def test_fast_check_refuses_schema_violations(modifier, reason):
    channel = {"name": "SR", "samples": [{"name": "s", "data": [1.0, 2.0], "modifiers": [modifier]}]}
    assert not valid_channel(channel), reason
    assert not schema_accepts(channel), reason


def test_published_signal_samples_take_the_fast_path(shared_data):
    archive = shared_data / "histfactory" / "atlas-susy-2019-08-1Lbb.tar.gz"
    background = Workspace.load(archive, member="BkgOnly.json")
    patch = PatchSet(archive, member="patchset.json")["C1N2_Wh_hbb_900_250"]
    spec, _ = background.model_spec(patches=[patch])
    assert len(spec["channels"]) == 8
    assert all(valid_channel(c) and schema_accepts(c) for c in spec["channels"])
