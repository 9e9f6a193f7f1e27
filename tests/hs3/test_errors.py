"""Clear errors: unknown types name the distribution (function, modifier), its type and the file;
references to nothing name who refers and what is missing; bin counts that do not match name the
channel, sample and modifier."""

from __future__ import annotations

import copy
import json

import pytest

import likelihub
from likelihub.errors import InvalidArgumentError, InvalidModelError

HS3 = likelihub.get_backend("hs3")


@pytest.fixture
def simple(shared_data) -> dict:
    return json.loads((shared_data / "hs3" / "simplemodel_uncorrelated-background_hs3.json").read_text())


def test_unknown_distribution_type_names_it(shared_data):
    path = shared_data / "hs3" / "rf501_simultaneouspdf.json"
    with pytest.raises(InvalidModelError) as error:
        HS3(path, likelihood={"distributions": ["model"], "data": [0.5]})
    message = str(error.value)
    assert "'model'" in message and "'mixture_dist'" in message and str(path) in message


def test_unknown_function_type_names_it():
    document = {"metadata": {"hs3_version": "0.2"},
                "distributions": [{"name": "p", "type": "poisson_dist", "x": "n", "mean": "f"}],
                "functions": [{"name": "f", "type": "CMS::asympow", "kappaLow": 0.9, "kappaHigh": 1.1}],
                "data": [{"name": "d", "type": "point", "value": 3}],
                "likelihoods": [{"name": "L", "distributions": ["p"], "data": ["d"]}]}
    with pytest.raises(InvalidModelError, match=r"function 'f' has type 'CMS::asympow'"):
        HS3(document)


def test_unknown_modifier_type(simple):
    simple["distributions"][0]["samples"][0]["modifiers"].append({"name": "x", "type": "custom"})
    with pytest.raises(InvalidModelError,
                       match=r"sample 'background', modifier 'x': unknown modifier type 'custom'"):
        HS3(simple)


@pytest.mark.parametrize("edit, pattern", [
    (lambda d: d["likelihoods"][1]["distributions"].__setitem__(0, "model_nowhere"),
     r"likelihood 'simPdf_obsData' refers to 'model_nowhere', which is not in 'distributions'"),
    (lambda d: d["likelihoods"][1]["data"].__setitem__(0, "no_data"),
     r"refers to 'no_data', which is not in 'data'"),
    (lambda d: d["analyses"][1].__setitem__("likelihood", "nothing"),
     r"analysis 'simPdf_obsData' refers to 'nothing', which is not in 'likelihoods'"),
    (lambda d: d["analyses"][1]["domains"].append("no_domain"),
     r"refers to 'no_domain', which is not in 'domains'"),
    (lambda d: d["distributions"][0]["samples"][0]["modifiers"][0].__setitem__("constraint_name", "lumiC"),
     r"refers to 'lumiC', which is not in 'distributions'"),
])
def test_missing_references(simple, edit, pattern):
    edit(simple)
    with pytest.raises(InvalidModelError, match=pattern):
        HS3(simple)


@pytest.mark.parametrize("edit, pattern", [
    (lambda d: d["data"][1].__setitem__("contents", [51, 48, 3]),
     r"channel 'model_singlechannel'.*contents of data 'obsData_singlechannel' has 3 values for the "
     r"channel's 2 bins"),
    (lambda d: d["data"][1]["axes"][0].__setitem__("nbins", 3),
     r"data 'obsData_singlechannel' has 3 bins, the distribution 2"),
    (lambda d: d["distributions"][0]["samples"][1]["data"].__setitem__("contents", [12.0]),
     r"sample 'signal'.*the sample's contents has 1 values for the channel's 2 bins"),
    (lambda d: d["distributions"][0]["samples"][0]["modifiers"][1]["data"].__setitem__("vals", [3.0]),
     r"modifier 'uncorr_bkguncrt': the shapesys's data.vals has 1 values for the channel's 2 bins"),
    (lambda d: d["distributions"][0]["samples"][0]["modifiers"][1].__setitem__("parameters", ["g0"]),
     r"'parameters' names 1 parameters for the channel's 2 bins"),
])
def test_bad_bin_counts(simple, edit, pattern):
    edit(simple)
    with pytest.raises(InvalidModelError, match=pattern):
        HS3(simple)


def test_bad_histosys_contents(shared_data):
    document = json.loads((shared_data / "hs3" / "simplemodel_correlated-background_hs3.json").read_text())
    histosys = document["distributions"][0]["samples"][1]["modifiers"][1]
    histosys["data"]["hi"]["contents"] = [45.0]
    with pytest.raises(InvalidModelError,
                       match=r"modifier 'correlated_bkg_uncertainty': data.hi.contents has 1 values"):
        HS3(document)


def test_unsupported_interpolation_and_constraints(shared_data):
    base = json.loads((shared_data / "hs3" / "simplemodel_correlated-background_hs3.json").read_text())
    document = copy.deepcopy(base)
    document["distributions"][0]["samples"][1]["modifiers"][1]["interpolation"] = "code1"
    with pytest.raises(InvalidModelError, match=r"histosys interpolation 'code1' is pyhf's code 1"):
        HS3(document)
    document = copy.deepcopy(base)
    document["distributions"][0]["samples"][1]["modifiers"][1]["interpolation"] = "cubic"
    with pytest.raises(InvalidModelError, match=r"unknown histosys interpolation 'cubic'"):
        HS3(document)
    document = copy.deepcopy(base)
    document["distributions"][0]["samples"][1]["modifiers"][1]["constraint"] = "Poisson"
    with pytest.raises(InvalidModelError,
                       match=r"a histosys with a 'Poisson' constraint has no pyhf equivalent"):
        HS3(document)


def test_choosing_likelihoods(simple):
    for entry in simple["analyses"]:
        entry["name"] = entry["name"].replace("obsData", "observed")
        entry["likelihood"] = entry["likelihood"].replace("obsData", "observed")
    for entry in simple["likelihoods"]:
        entry["name"] = entry["name"].replace("obsData", "observed")
    with pytest.raises(InvalidArgumentError, match=r"the file has 2 analyses .* name one"):
        HS3(simple)
    assert HS3(simple, analysis="simPdf_asimovData").data[:2].tolist() == [62.0, 63.0]
    assert HS3(simple, likelihood="simPdf_observed").data[:2].tolist() == [51.0, 48.0]
    with pytest.raises(InvalidArgumentError, match=r"give an analysis or a likelihood, not both"):
        HS3(simple, analysis="simPdf_asimovData", likelihood="simPdf_observed")
    with pytest.raises(InvalidModelError, match=r"argument 'analysis' refers to 'nothing'"):
        HS3(simple, analysis="nothing")


def test_unreadable_files(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(InvalidModelError, match=r"broken.json.*not JSON"):
        HS3(path)
    with pytest.raises(InvalidModelError, match=r"cannot read the file"):
        HS3(tmp_path / "absent.json")
    with pytest.raises(InvalidArgumentError, match=r"argument 'shapesys_vals'"):
        HS3({}, shapesys_vals="percent")


def test_mixed_likelihood_is_refused(simple):
    simple["distributions"].append({"name": "g", "type": "gaussian_dist", "x": "y", "mean": "mu", "sigma": 1})
    simple["likelihoods"][1]["distributions"].append("g")
    simple["likelihoods"][1]["data"].append(0.0)
    with pytest.raises(InvalidModelError, match=r"mixes histfactory_dist with \['gaussian_dist'\]"):
        HS3(simple)


@pytest.mark.parametrize("expression, pattern", [
    ("a +", r"unexpected end"), ("foo(a)", r"unknown function 'foo'"),
    ("a $ b", r"unexpected character '\$'"),
    ("pow(a)", r"pow takes 2 argument"), ("(a", r"expected '\)'"),
])
def test_bad_expressions(expression, pattern):
    from likelihub_hs3.expressions import parse

    with pytest.raises(InvalidModelError, match=pattern):
        parse(expression)


def test_function_loops():
    document = {"metadata": {"hs3_version": "0.2"},
                "distributions": [{"name": "p", "type": "poisson_dist", "x": "n", "mean": "f"}],
                "functions": [{"name": "f", "type": "sum", "summands": ["g", 1.0]},
                              {"name": "g", "type": "product", "factors": ["f", 2.0]}],
                "data": [{"name": "d", "type": "point", "value": 3}],
                "likelihoods": [{"name": "L", "distributions": ["p"], "data": ["d"]}]}
    with pytest.raises(InvalidModelError, match=r"loop: f -> g -> f"):
        HS3(document)
