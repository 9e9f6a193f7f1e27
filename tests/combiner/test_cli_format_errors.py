"""Bad values in a combination file (review of the combiner's file format): each is a one-line
``Error:`` (exit 1) naming the combination file, the component (``components[i] ('name')``) where
one is at fault, and the argument; none reaches the "unexpected error" path or a usage error of
the outer command. A JSON list for an option of comma-separated names is those names joined.

Origin of the one number asserted (the list form of ``--freeze``): the same combination with the
option written as Combine writes it on the command line (``"deltaS"``), computed by the same
code: 1e-12 relative.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import likelihub as lh
from likelihub.cli.main import cli
from likelihub.errors import InvalidModelError

from .counting_card import CARD

REL = 1e-12
# Combine's "simple counting experiment" card (tests/combiner/counting_card.py).
CARD2 = CARD.replace("observation 0", "observation 2")


def run(*args, code: int = 0):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "card.txt").write_text(CARD)
    (tmp_path / "card2.txt").write_text(CARD2)
    return tmp_path


def write(folder: Path, document) -> Path:
    path = folder / "c.json"
    path.write_text(json.dumps(document))
    return path


def one_line_error(folder: Path, document, *fragments: str) -> None:
    path = write(folder, document)
    result = run("cls", path, code=1)
    assert "Traceback" not in result.output and "unexpected" not in result.output, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert f"file '{path}'" in lines[0], lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def card(name="a", file="card.txt", **options):
    return {"name": name, "file": file, "options": options} if options else {"name": name, "file": file}


@pytest.mark.parametrize("document, fragments", [
    ({"components": [card()], "signal_scales": {"a": "x"}},
     ["argument 'signal_scales'", "component 'a' must be a number, got 'x'"]),
    ({"components": [card()], "signal_scales": 3}, ["argument 'signal_scales'"]),
    ({"components": [card(), card("b", "card2.txt")], "correlate": 5},
     ["argument 'correlate'", "got 5"]),
    ({"components": [card(), card("b", "card2.txt")], "correlate": [5]}, ["argument 'correlate'"]),
    ({"components": [card(rMin="x")]}, ["components[0] ('a'): argument 'rMin':", "'x'"]),
    ({"components": [card(rMax=float("nan"))]}, ["components[0] ('a'): argument 'rMax':", "finite"]),
    ({"components": [card(freeze="nosuch")]},
     ["components[0] ('a'): argument 'freeze':", "no parameter 'nosuch'"]),
    ({"components": [card(freeze=["nosuch"])]}, ["components[0] ('a'): argument 'freeze':"]),
    ({"components": [card(freeze=[["x"]])]}, ["components[0] ('a'): argument 'freeze':", "one value"]),
    ({"components": [card(rMin=5.0, rMax=1.0)]}, ["components[0] ('a'): argument 'rMin':"]),
])
def test_bad_values_are_one_line_errors(folder, document, fragments):
    one_line_error(folder, document, *fragments)


def test_a_combination_that_includes_itself_is_a_cycle(folder):
    one_line_error(folder, {"components": [card("a", "c.json")]}, "components[0] ('a')", "cycle")
    # and through another file: c.json -> d.json -> c.json
    (folder / "d.json").write_text(json.dumps({"components": [card("x", "c.json")]}))
    one_line_error(folder, {"components": [card(), card("d", "d.json")]}, "components[1] ('d')", "cycle")


def test_a_list_of_names_for_an_option_of_comma_separated_names(folder):
    listed = json.loads(run("cls", write(folder, {"components": [
        card(freeze=["deltaS", "deltaB"]), card("b", "card2.txt")]})).output)
    joined = json.loads(run("cls", write(folder, {"components": [
        card(freeze="deltaS,deltaB"), card("b", "card2.txt")]})).output)
    assert listed["CLs_obs"] == pytest.approx(joined["CLs_obs"], rel=REL)
    inspected = run("inspect", write(folder, {"components": [card(freeze=["deltaS"])]})).output
    row = next(line for line in inspected.splitlines() if line.startswith("a/deltaS"))
    assert "fixed" in row.split()[3:], inspected


def test_the_api_takes_correlation_as_a_list_of_triples(folder):
    a = lh.plugin.open_model(str(folder / "card.txt"))
    b = lh.plugin.open_model(str(folder / "card2.txt"))
    # origin: the same combination with the mapping form of the argument, same code: 1e-12
    listed = lh.combine(a, b, names=["a", "b"], correlation=[("a/deltaB", "b/deltaB", 0.5)])
    mapped = lh.combine(a, b, names=["a", "b"], correlation={("a/deltaB", "b/deltaB"): 0.5})
    assert listed.cls(1.0).cls_obs == pytest.approx(mapped.cls(1.0).cls_obs, rel=REL)
    with pytest.raises(InvalidModelError, match="argument .correlation.: correlation must be a mapping"):
        lh.combine(a, b, names=["a", "b"], correlation=[("a/deltaB", 0.5)])


def test_a_list_of_numbers_for_an_option_of_comma_separated_numbers(folder):
    # origin: the same component with the option as its flag takes it ("2.0,3.0,1.5"), same code: 1e-12
    (folder / "s.json").write_text(json.dumps({"observed": [6, 8, 3], "background": [5.0, 6.0, 4.0],
                                               "covariance": [[1.0, 0.3, -0.2], [0.3, 4.0, 0.5],
                                                              [-0.2, 0.5, 2.0]]}))
    listed = json.loads(run("cls", write(folder, {"components": [
        {"name": "s", "file": "s.json", "options": {"signal": [2.0, 3.0, 1.5]}}]})).output)
    joined = json.loads(run("cls", write(folder, {"components": [
        {"name": "s", "file": "s.json", "options": {"signal": "2.0,3.0,1.5"}}]})).output)
    assert listed["CLs_obs"] == pytest.approx(joined["CLs_obs"], rel=REL)
