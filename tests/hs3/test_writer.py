"""The HS3 writer (pyhf JSON -> HS3) read back by the ``hs3`` backend, the converter back to pyhf
JSON, and the command line.

Origin of the expected numbers: the histfactory backend's model of the same pyhf workspace
(tests/histfactory/data/all_modifiers.json: every modifier type, a lumi, shared and per-channel
staterrors, a zero-uncertainty shapesys bin, measurement settings), held to pyhf 0.7.6 in
tests/histfactory. A round trip keeps the likelihood: -log L equal to rounding (1e-12 relative)
at the initial and random points, the same names, bounds, initial values and fixed flags.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import likelihub
from likelihub.cli.models import cls_command
from likelihub.plugin import check_backend
from likelihub_hs3 import hs3_to_pyhf, write_hs3
from likelihub_hs3.cli import hs32pyhf_command, pyhf2hs3_command

TINY = Path(__file__).parents[1] / "histfactory" / "data" / "all_modifiers.json"


def assert_same_model(model, reference, names=None, rel=1e-12):
    names = names or {n: n for n in model.config.parameter_names}
    ours, theirs = model.config, reference.config
    order = [theirs.index(names[n]) for n in ours.parameter_names]
    np.testing.assert_array_equal(np.asarray(theirs.bounds)[order], ours.bounds)
    np.testing.assert_array_equal(np.asarray(theirs.init)[order], ours.init)
    np.testing.assert_array_equal(np.asarray(theirs.fixed)[order], ours.fixed)
    assert names[ours.poi_name] == theirs.poi_name
    rng = np.random.default_rng(11)
    for k in range(3):
        pars = np.asarray(theirs.init, dtype=float) + (rng.normal(0, 0.05, theirs.n_parameters) if k else 0)
        assert model.logpdf(pars[order]) == pytest.approx(reference.logpdf(pars), rel=rel)


@pytest.mark.parametrize("codes", [{"normsys": "4", "histosys": "4p"}, {"normsys": "1", "histosys": "0"},
                                   {"normsys": "4", "histosys": "2"}])
@pytest.mark.parametrize("convention", ["absolute", "relative"])
def test_round_trip(codes, convention, tmp_path):
    path = tmp_path / "tiny_hs3.json"
    document = write_hs3(TINY, path, interpolation_codes=codes, shapesys_vals=convention)
    assert json.loads(path.read_text()) == document
    assert document["metadata"]["hs3_version"] == "0.2"
    model = likelihub.get_backend("hs3")(path)
    reference = likelihub.get_backend("histfactory")(TINY, interpolation_codes=codes)
    assert_same_model(model, reference)
    if codes["histosys"] != "0":  # code 0 has a kink at the initial point, where finite differences fail
        check_backend(model.backend)


def test_written_conventions():
    document = write_hs3(TINY)
    samples = {s["name"]: s for d in document["distributions"] if d["type"] == "histfactory_dist"
               for s in d["samples"] if d["name"] == "model_SR"}
    modifiers = {m["name"]: m for m in samples["fakes"]["modifiers"]}
    assert modifiers["fake_shape"] == {"name": "fake_shape", "type": "shapesys", "constraint": "Poisson",
                                       "parameters": ["fake_shape[0]", "fake_shape[1]", "fake_shape[2]"],
                                       "data": {"vals": [1.0, 0.5, 0.6]}}
    # the staterror's uncertainties are the samples' errors; lumi a normfactor with a named constraint
    assert samples["ttbar"]["data"]["errors"] == [1.5, 1.2, 0.0]
    lumi = next(m for m in samples["signal"]["modifiers"] if m["name"] == "lumi")
    constraint = next(d for d in document["distributions"] if d["name"] == lumi["constraint_name"])
    assert constraint == {"name": "lumiConstraint", "type": "gaussian_dist", "x": "lumi", "mean": 1.0,
                          "sigma": 0.02}
    assert document["analyses"] == [{"name": "meas", "likelihood": "meas", "parameters_of_interest": ["mu"],
                                     "domains": ["meas_domain"], "init": "meas_init"}]


def test_hs3_to_pyhf_round_trip(tmp_path):
    write_hs3(TINY, tmp_path / "tiny_hs3.json")
    conversion = hs3_to_pyhf(tmp_path / "tiny_hs3.json")
    back = likelihub.get_backend("histfactory")(conversion.workspace,
                                                interpolation_codes=conversion.interpolation_codes)
    assert_same_model(back, likelihub.get_backend("histfactory")(TINY))


def test_shared_pyhs3_file_to_pyhf(shared_data):
    path = shared_data / "hs3" / "simplemodel_uncorrelated-background_hs3.json"
    conversion = hs3_to_pyhf(path)
    assert conversion.names["uncorr_bkguncrt[1]"] == "uncorr_bkguncrt_1"
    model = likelihub.get_backend("histfactory")(conversion.workspace)
    names = {n: conversion.names.get(n, n) for n in model.config.parameter_names}
    assert_same_model(model, likelihub.get_backend("hs3")(path),
                      {n: names[n] for n in model.config.parameter_names})


def test_command_line(tmp_path):
    runner = CliRunner()
    written = tmp_path / "tiny_hs3.json"
    result = runner.invoke(pyhf2hs3_command, [str(TINY), "-o", str(written)])
    assert result.exit_code == 0, result.output
    assert json.loads(written.read_text()) == write_hs3(TINY)
    back = tmp_path / "tiny_pyhf.json"
    result = runner.invoke(hs32pyhf_command, [str(written), "-o", str(back)])
    assert result.exit_code == 0, result.output
    assert_same_model(likelihub.get_backend("histfactory")(back), likelihub.get_backend("histfactory")(TINY))
    # an error is one line naming the file, exit status 1
    broken = tmp_path / "broken.json"
    broken.write_text("[]")
    result = runner.invoke(hs32pyhf_command, [str(broken)])
    assert result.exit_code == 1 and "broken.json" in result.output and "JSON object" in result.output
    # the core's commands read HS3 files (--format hs3: the histfactory format claims .json too)
    result = runner.invoke(cls_command, [str(written), "--format", "hs3", "--mu", "1"])
    assert result.exit_code == 0, result.output
    expected = likelihub.get_backend("histfactory")(TINY).cls(1.0).cls_obs
    assert f"{expected:.4g}"[:5] in result.output


def test_background_only_workspace():
    """A workspace whose measurement's POI no modifier has (a background-only workspace): written
    with an analysis without a POI; the likelihood is the workspace's."""
    workspace = json.loads((TINY.parent / "two_bin_background.json").read_text())
    workspace["channels"][0]["samples"][0]["modifiers"].append(
        {"name": "bnorm", "type": "normsys", "data": {"hi": 1.1, "lo": 0.9}})
    document = write_hs3(workspace)
    assert document["analyses"][0]["parameters_of_interest"] == []
    model = likelihub.get_backend("hs3")(document)
    assert model.config.poi_name is None
    workspace["measurements"][0]["config"]["poi"] = "bnorm"
    reference = likelihub.get_backend("histfactory")(workspace)
    expected = reference.logpdf(reference.config.init)
    assert model.logpdf(model.config.init) == pytest.approx(expected, rel=1e-12)
