"""The point source ``combine.cards``: a scan over a set of datacards gives, per card, the numbers
of the card's own model (the same computation: 1e-6, the limits' root tolerance)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import likelihub as lh
from likelihub.cli import cli
from likelihub.errors import InvalidArgumentError, InvalidModelError


@pytest.fixture(scope="module")
def hww(shared_data):
    return shared_data / "datacards" / "combine_docs" / "hww4ch_1fb_counting"


def test_a_mapping_of_masses_scans_each_card(hww):
    cards = {140: hww / "hww4ch-1fb-B-mH140.txt", 160: hww / "hww4ch-1fb-B-mH160.txt"}
    result = lh.scan(cards, mu=1.0, executor="serial")
    assert result.labels == ["mass"]
    for row, (mass, card) in zip(result.rows, cards.items(), strict=True):
        assert row["name"] == str(mass) and row["values"] == [float(mass)]
        direct = lh.get_backend("combine.datacard")(card).cls(1.0)
        assert row["cls_obs"] == pytest.approx(direct.cls_obs, rel=1e-6)
        assert row["cls_exp"] == pytest.approx(direct.cls_exp, rel=1e-6)


def test_a_pattern_with_a_mass_regex_labels_the_points(hww):
    result = lh.scan(str(hww / "hww4ch-1fb-B-mH*.txt"), kind="combine.cards", mass_regex=r"mH(\d+)",
                     mu=0.5, executor="serial")
    assert [row["name"] for row in result.rows] == ["hww4ch-1fb-B-mH140", "hww4ch-1fb-B-mH160"]
    assert [row["values"] for row in result.rows] == [[140.0], [160.0]]
    direct = lh.get_backend("combine.datacard")(hww / "hww4ch-1fb-B-mH160.txt").cls(0.5)
    assert result.rows[1]["cls_obs"] == pytest.approx(direct.cls_obs, rel=1e-6)


def test_mass_reaches_the_shapes_lines_and_a_missing_template_fails_only_its_point(shared_data):
    # The long exercise's card names its signal template bbHtautau$MASS: only mass 800 exists.
    folder = shared_data / "datacards" / "combine_docs" / "longexercise_part2_shape"
    card = folder / "datacard_part2_shapes.txt"
    result = lh.scan({800: card, 900: card}, executor="serial")
    direct = lh.get_backend("combine.datacard")(card, mass=800).cls(1.0)
    assert result.rows[0]["cls_obs"] == pytest.approx(direct.cls_obs, rel=1e-6)
    assert "bbHtautau900" in result.rows[1]["error"]


def test_bad_sets_of_cards_are_named(hww, tmp_path):
    with pytest.raises(InvalidArgumentError, match="mass_regex"):
        lh.scan(str(hww / "hww4ch-1fb-B-mH*.txt"), kind="combine.cards", mass_regex=r"m(\d+)GeV")
    with pytest.raises(InvalidArgumentError, match="no datacard"):
        lh.scan(str(tmp_path / "*.txt"), kind="combine.cards")
    bad = tmp_path / "bad.txt"
    bad.write_text("imax 1\njmax 0\nkmax 0\nbin b\nobservation 3\nbin b\nprocess s\nprocess 0\nrate -1\n")
    with pytest.raises(InvalidModelError, match=f"{bad}:9"):
        lh.scan([bad], kind="combine.cards")


def test_likelihub_scan_over_cards(hww, tmp_path):
    output = tmp_path / "limits.json"
    result = CliRunner().invoke(cli, ["scan", str(hww / "hww4ch-1fb-B-mH*.txt"), "--kind", "combine.cards",
                                      "--mass-regex", r"mH(\d+)",
                                      "--executor", "serial", "--output", str(output)])
    assert result.exit_code == 0, result.output
    rows = json.loads(output.read_text())
    assert [row["values"] for row in rows] == [[140.0], [160.0]]
