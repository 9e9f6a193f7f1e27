"""File formats of ``likelihub cls|limit|fit|inspect FILE`` (issue 13): registered by a test plugin
through the hook ``likelihub_register_formats``, detected from the file (or named by --format),
with their own options; an option of another format, an unknown file, a broken format are one
line, never a traceback.

The test format holds one Poisson counting bin ("counting n=10 s=5 b=8"): the CLs it prints is
the closed form of arXiv:1007.1727 (tests/hub/test_counting_closed_forms.py, 2e-6 absolute, as
there), and its limit is what the API computes on the same model (the same computation: 1e-12).
"""

from __future__ import annotations

import json
import sys
import textwrap
from importlib.metadata import EntryPoint

import click
import pytest
from click.testing import CliRunner

import likelihub as lh
from likelihub.cli.inspect import inspect_command
from likelihub.cli.models import cls_command, fit_command, limit_command
from likelihub.errors import PluginWarning
from likelihub.plugin import file_head
from likelihub.registry import plugins as registry_module
from likelihub.registry.plugins import Registry

from .counting import CountingBackend
from .test_counting_closed_forms import cls_closed_form

# -- the test plugin's formats ----------------------------------------------------------------------
COUNTING_OPTIONS = [click.Option(["--scale"], type=float, default=1.0, help="Signal scale.")]
OTHER_OPTIONS = [click.Option(["--flavour"], default=None, help="A flavour.")]


def is_counting(path: str) -> bool:
    return file_head(path, 64).startswith(b"counting ")


def counting_backend(path: str, *, scale: float = 1.0) -> CountingBackend:
    with open(path) as file:
        fields = dict(field.split("=") for field in file.read().split()[1:])
    return CountingBackend(float(fields["n"]), scale * float(fields["s"]), float(fields["b"]))


def open_counting(path: str, *, scale: float = 1.0):
    return lh.StatisticalModel(counting_backend(path, scale=scale))


def is_other(path: str) -> bool:
    return path.endswith(".other")


def open_other(path: str, *, flavour=None):
    return "not a model"


def inspect_other(path: str, *, as_json: bool = False, flavour=None) -> str:
    return json.dumps({"flavour": flavour}) if as_json else f"other file {path}, flavour {flavour}"


PLUGIN = textwrap.dedent('''
    import likelihub

    HERE = "tests.hub.test_cli_formats"

    @likelihub.hookimpl
    def likelihub_register_formats(register):
        register("toy.counting", backend="toy.counting", detect=HERE + ":is_counting",
                 options=HERE + ":COUNTING_OPTIONS", open=HERE + ":open_counting",
                 label="toy counting files", version="1.0", description="one Poisson bin")
        register("toy.other", backend="toy.other", detect=HERE + ":is_other",
                 options=HERE + ":OTHER_OPTIONS", open=HERE + ":open_other",
                 inspect=HERE + ":inspect_other", label="other toy files")
''')


def make_registry(tmp_path, monkeypatch, source: str = PLUGIN, name: str = "toy") -> Registry:
    """A registry of one plugin (``source``), installed as the default registry."""
    module = f"format_plugin_{name}_{tmp_path.name}".replace("-", "_")
    (tmp_path / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry([EntryPoint(name=name, value=module, group="likelihub.backends")])
    monkeypatch.setattr(registry_module, "default_registry", lambda: registry)
    import likelihub.cli.main  # noqa: F401  (the module, which `likelihub.cli.main` hides)

    monkeypatch.setattr(sys.modules["likelihub.cli.main"], "default_registry", lambda: registry)
    if module in sys.modules:  # forgotten after the test
        monkeypatch.setitem(sys.modules, module, sys.modules[module])
    return registry


@pytest.fixture
def registry(tmp_path, monkeypatch):
    return make_registry(tmp_path, monkeypatch)


@pytest.fixture
def card(tmp_path):
    path = tmp_path / "bin.count"
    path.write_text("counting n=10 s=5 b=8\n")
    return path


def run(command, *args):
    return CliRunner().invoke(command, [str(a) for a in args])


def assert_one_line_error(result, status: int, *phrases: str) -> str:
    assert result.exit_code == status, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.output
    for phrase in phrases:
        assert phrase in errors[0], errors[0]
    assert "Traceback" not in result.output
    return errors[0]


# -- registration -----------------------------------------------------------------------------------
def test_formats_are_registered_with_metadata(registry):
    info = registry.formats["toy.counting"]
    assert (info.plugin, info.backend, info.version, info.label) == ("toy", "toy.counting", "1.0",
                                                                      "toy counting files")
    assert info.recognises("-") is False and info.load() is info
    assert sorted(registry.formats) == ["toy.counting", "toy.other"]


def test_an_incompatible_plugin_registers_no_format(tmp_path, monkeypatch):
    source = PLUGIN.replace('version="1.0"', 'core_versions=">=9"')
    with pytest.warns(PluginWarning, match="supports likelihub core >=9"):
        registry = make_registry(tmp_path, monkeypatch, source, name="old")
    assert registry.formats == {}


# -- detection and the format's options -------------------------------------------------------------
def test_the_format_is_detected_and_its_options_reach_open(registry, card):
    output = json.loads(run(cls_command, card).output)
    # arXiv:1007.1727 closed form, n = 10, s = 5, b = 8, mu = 1 (2e-6 as in its own test)
    assert output["CLs_obs"] == pytest.approx(cls_closed_form(1.0, 10.0), abs=2e-6)
    # --scale 2 doubles the signal: CLs at mu = 1 is the closed form's at mu = 2 (rate mu s + b)
    scaled = json.loads(run(cls_command, card, "--scale", 2).output)
    assert scaled["CLs_obs"] == pytest.approx(cls_closed_form(2.0, 10.0), abs=2e-6)
    limit = json.loads(run(limit_command, card).output)
    api = open_counting(str(card)).upper_limit()
    assert limit["observed"] == pytest.approx(api.observed, rel=1e-12)  # the same computation
    assert limit["poi"] == "mu"
    fit = json.loads(run(fit_command, card, "--scale", 1.0).output)
    assert fit["mle_parameters"]["mu"] == pytest.approx([0.4], abs=1e-5)  # (n - b) / s


def test_format_names_the_format_of_any_file(registry, tmp_path):
    renamed = tmp_path / "bin.txt"
    renamed.write_text("counting n=10 s=5 b=8\n")
    output = json.loads(run(cls_command, renamed, "--format", "toy.counting").output)
    assert output["CLs_obs"] == pytest.approx(cls_closed_form(1.0, 10.0), abs=2e-6)
    result = run(cls_command, renamed, "--format", "toy.nothing")
    assert_one_line_error(result, 2, "--format", "no file format called 'toy.nothing'",
                          "toy.counting (toy counting files), toy.other (other toy files)")


def test_help_lists_every_formats_options_and_whose_they_are(registry):
    text = run(limit_command, "--help").output
    assert "--scale" in text and "--flavour" in text
    assert "[toy counting files]" in text and "[other toy files]" in text
    assert "Installed: toy.counting, toy.other." in " ".join(text.split())


# -- errors: one line -------------------------------------------------------------------------------
def test_an_option_of_another_format_is_refused_before_the_work(registry, card, monkeypatch):
    def work(*args, **kwargs):
        raise AssertionError("the model was built")

    monkeypatch.setattr(sys.modules[__name__], "open_counting", work)
    for command in (cls_command, limit_command, fit_command, inspect_command):
        result = run(command, card, "--flavour", "sweet")
        assert_one_line_error(result, 2, "--flavour applies to other toy files, not to toy counting "
                                         f"files ({card})")


def test_a_file_no_format_recognises_is_one_line(registry, tmp_path):
    unknown = tmp_path / "notes.txt"
    unknown.write_text("nothing to see\n")
    line = assert_one_line_error(run(cls_command, unknown), 1, str(unknown), "not a file of a known format",
                                 "toy.counting (toy counting files), toy.other (other toy files)",
                                 "--format")
    assert line.startswith("Error: file ")
    assert_one_line_error(run(fit_command, tmp_path / "missing.txt"), 1, "missing.txt", "no such file")


def test_a_file_two_formats_recognise_must_be_named(registry, tmp_path):
    both = tmp_path / "bin.other"
    both.write_text("counting n=10 s=5 b=8\n")
    assert_one_line_error(run(cls_command, both), 1, "recognised by several file formats "
                                                     "(toy.counting, toy.other)", "--format")
    output = json.loads(run(cls_command, both, "--format", "toy.counting").output)
    assert output["CLs_obs"] == pytest.approx(cls_closed_form(1.0, 10.0), abs=2e-6)


def test_open_must_return_a_model(registry, tmp_path):
    other = tmp_path / "x.other"
    other.write_text("")
    assert_one_line_error(run(cls_command, other), 1, "format 'toy.other' of plugin 'toy'",
                          "open returned a str, not a StatisticalModel")


def test_a_broken_format_recognises_nothing_and_plugins_says_so(tmp_path, monkeypatch, card):
    source = PLUGIN.replace('HERE + ":is_other"', '"no_such_module_xyz:detect"')
    make_registry(tmp_path, monkeypatch, source, name="broken")
    from likelihub.cli import cli

    output = CliRunner().invoke(cli, ["plugins"]).output
    assert "broken: backends -; formats toy.counting, toy.other" in output
    assert "broken: format 'toy.other' failed to load (" in output
    output = json.loads(run(cls_command, card).output)  # the good format still reads its files
    assert output["CLs_obs"] == pytest.approx(cls_closed_form(1.0, 10.0), abs=2e-6)


def test_an_option_clashing_with_the_commands_is_left_out_with_a_warning(tmp_path, monkeypatch, card):
    source = PLUGIN.replace('options=HERE + ":OTHER_OPTIONS"',
                            'options=[__import__("click").Option(["--mu"])]')
    make_registry(tmp_path, monkeypatch, source, name="clash")
    with pytest.warns(PluginWarning, match=r"the option --mu of the format 'toy.other' .* clashes with an "
                                           "option of the command 'cls'; it is not offered"):
        output = json.loads(run(cls_command, card, "--mu", 2.0).output)
    assert output["CLs_obs"] == pytest.approx(cls_closed_form(2.0, 10.0), abs=2e-6)  # the core's --mu


def test_an_option_two_formats_offer_is_one_option_of_both(tmp_path, monkeypatch, card):
    source = PLUGIN.replace('HERE + ":OTHER_OPTIONS"', 'HERE + ":COUNTING_OPTIONS"').replace(
        'HERE + ":open_other"', 'HERE + ":open_counting"')
    make_registry(tmp_path, monkeypatch, source, name="shared")
    assert "Signal scale. [toy counting files, other toy files]" in " ".join(
        run(cls_command, "--help").output.split())
    other = tmp_path / "x.other"
    other.write_text("counting n=10 s=5 b=8\n")
    output = json.loads(run(cls_command, other, "--format", "toy.other", "--scale", 2).output)
    assert output["CLs_obs"] == pytest.approx(cls_closed_form(2.0, 10.0), abs=2e-6)


# -- inspect ----------------------------------------------------------------------------------------
def test_inspect_describes_the_model_or_asks_the_format(registry, card, tmp_path):
    text = run(inspect_command, card).output
    assert text.splitlines()[0] == repr(open_counting(str(card)))  # no describe(): the model's repr
    assert "parameter  init  bounds   fixed  role" in text and "mu         1     [0, 10]         POI" in text
    summary = json.loads(run(inspect_command, card, "--json").output)
    assert summary["poi"] == "mu"
    assert summary["parameters"] == [{"name": "mu", "init": 1.0, "bounds": [0.0, 10.0], "fixed": False,
                                      "poi": True}]
    other = tmp_path / "x.other"
    other.write_text("")
    assert run(inspect_command, other, "--flavour", "sweet").output.strip() == (
        f"other file {other}, flavour sweet")
    assert json.loads(run(inspect_command, other, "--json").output) == {"flavour": None}
