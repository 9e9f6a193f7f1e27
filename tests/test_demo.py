"""The README's main job: `likelihub demo` on the shipped example workspace, against pyhf."""

import json

import pytest
from click.testing import CliRunner

import likelihub as lh
from likelihub.cli import cli
from likelihub_histfactory.example import EXAMPLE_WORKSPACE

# pyhf 0.7.6 (numpy backend, default optimiser) on likelihub_histfactory/data/example_workspace.json:
# pyhf.infer.hypotest(1.0, data, model, return_expected_set=True), mle.fit, and
# upper_limits.upper_limit(data, model, rtol=1e-8) (peers venv, 2026-11-22).
PYHF_CLS_OBS = 0.23211382
PYHF_CLS_EXP = [0.00372718, 0.01818929, 0.07832648, 0.26562702, 0.60849213]
PYHF_TWICE_NLL = 21.777064791621687
PYHF_MU_HAT = 0.4774579768170027
PYHF_LIMIT_OBS = 1.5728442639471558
PYHF_LIMIT_EXP = [0.5680641060503486, 0.7822131818806699, 1.1295873122561586, 1.6634270800107318,
                  2.392534318111485]


@pytest.fixture(scope="module")
def demo_output():
    if "histfactory" not in lh.available_backends():
        pytest.skip("the histfactory plugin is not installed")
    result = CliRunner().invoke(cli, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_example_workspace_is_shipped():
    spec = json.loads(EXAMPLE_WORKSPACE.read_text())
    assert [c["name"] for c in spec["channels"]] == ["SR", "CR"]


def test_demo_reproduces_pyhf(demo_output):
    # Tolerances of the HistFactory validation: CLs 1e-5 absolute (pyhf printed 8 digits),
    # limits 1e-4 relative, -2 log L not above pyhf's.
    assert demo_output["cls"]["cls_obs"] == pytest.approx(PYHF_CLS_OBS, abs=1e-5)
    assert demo_output["cls"]["cls_exp"] == pytest.approx(PYHF_CLS_EXP, abs=1e-5)
    assert 2 * demo_output["fit"]["nll"] <= PYHF_TWICE_NLL + 1e-6
    mu_index = demo_output["fit"]["parameter_names"].index("mu")
    assert demo_output["fit"]["values"][mu_index] == pytest.approx(PYHF_MU_HAT, abs=1e-3)
    assert demo_output["upper_limit"]["observed"] == pytest.approx(PYHF_LIMIT_OBS, rel=1e-4)
    assert demo_output["upper_limit"]["expected"] == pytest.approx(PYHF_LIMIT_EXP, rel=1e-4)


def test_demo_says_which_plugin_gave_the_example():
    if "histfactory" not in lh.available_backends():
        pytest.skip("the histfactory plugin is not installed")
    result = CliRunner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].endswith("(example 'histfactory.example' of plugin 'histfactory')")


def test_demo_without_an_example_is_one_line(monkeypatch):
    import sys

    import likelihub.cli.main  # noqa: F401  (the module, which `likelihub.cli.main` hides)
    from likelihub.registry import plugins
    from likelihub.registry.plugins import Registry

    empty = Registry([])
    monkeypatch.setattr(plugins, "default_registry", lambda: empty)
    monkeypatch.setattr(sys.modules["likelihub.cli.main"], "default_registry", lambda: empty)
    result = CliRunner().invoke(cli, ["demo"])
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: no installed plugin offers an example model (pip install "
                                     "'likelihub[all]' installs the bundled plugins)")
