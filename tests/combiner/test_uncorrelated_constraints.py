"""The uncorrelated combination declares its components' constraint terms (``constraint_terms()``,
the optional capability of the backend contract), so that ``likelihub pulls`` of a combination
keeps each constrained parameter's prefit centre and width, and their yields per channel
(``yield_layout``/``expected_yields``: channels ``"<component>/<channel>"``).

Origin of every value: each component alone (its own ``constraint_terms()`` and data): a
combination moves a term to the combination's indices and prefixes its parameter's name, it does
not change the term (kind, width, scale exact; the auxiliary datum the same number).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import likelihub as lh
from likelihub.cli.main import cli
from likelihub.plugin import capabilities, open_model

from .counting_card import CARD

# Combine's "simple counting experiment" card (tests/combiner/counting_card.py), with the second
# card's background lnN renamed so that the components' terms differ.
CARD2 = CARD.replace("observation 0", "observation 2").replace("deltaB  lnN", "other  lnN")


@pytest.fixture
def cards(tmp_path):
    (tmp_path / "a.txt").write_text(CARD)
    (tmp_path / "b.txt").write_text(CARD2)
    return tmp_path


def test_the_combinations_terms_are_the_components_terms(cards):
    models = {n: open_model(str(cards / f"{n}.txt")) for n in ("a", "b")}
    combined = lh.combine(*models.values(), names=list(models))
    assert capabilities(combined.backend).constraint_terms
    terms = {combined.config.parameter_names[t.parameter]: t for t in combined.backend.constraint_terms()}
    expected = 0
    for name, model in models.items():
        for term in model.backend.constraint_terms():
            mine = terms[f"{name}/{model.config.parameter_names[term.parameter]}"]
            assert (mine.kind, mine.width, mine.width_low, mine.scale) == (
                term.kind, term.width, term.width_low, term.scale)
            assert combined.data[mine.datum] == model.data[term.datum]
            assert mine.datum >= combined.config.n_main
            expected += 1
    assert len(terms) == expected == 4


def test_pulls_of_a_combination_keep_the_constraints(cards):
    path = cards / "c.json"
    path.write_text(json.dumps({"components": [{"name": "a", "file": "a.txt"},
                                               {"name": "b", "file": "b.txt"}]}))
    result = CliRunner().invoke(cli, ["pulls", str(path)])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)["parameters"]}
    alone = CliRunner().invoke(cli, ["pulls", str(cards / "a.txt")])
    alone_rows = {row["name"]: row for row in json.loads(alone.output)["parameters"]}
    for name in ("deltaS", "deltaB"):
        assert rows[f"a/{name}"]["constrained"] and alone_rows[name]["constrained"]
        assert rows[f"a/{name}"]["prefit_centre"] == alone_rows[name]["prefit_centre"]
        assert rows[f"a/{name}"]["prefit_width"] == alone_rows[name]["prefit_width"]
    assert rows["b/other"]["constrained"]


def test_yields_of_a_combination_are_the_components_by_channel(cards):
    # origin: each component's own expected_yields at its own parameters (the combination's mapped
    # to it): the same numbers, exact (1e-12 relative)
    models = {n: open_model(str(cards / f"{n}.txt")) for n in ("a", "b")}
    combined = lh.combine(*models.values(), names=list(models))
    assert capabilities(combined.backend).yields
    layout = combined.backend.yield_layout()
    assert layout.channels == ("a/bin1", "b/bin1") and set(layout.samples) == {"ggh4G", "Bckg"}
    pars = combined.config.init + 0.3
    yields = combined.backend.expected_yields(pars)
    main = combined.expected_data(pars)[:combined.config.n_main]
    assert yields.sum(axis=0) == pytest.approx(main, rel=1e-12)
    for component, (name, model) in zip(combined.backend.components, models.items(), strict=True):
        own = model.backend.expected_yields(component.component_parameters(pars))
        for i, sample in enumerate(model.backend.yield_layout().samples):
            assert yields[layout.samples.index(sample), layout.slices()[f"{name}/bin1"]] == pytest.approx(
                own[i], rel=1e-12)
