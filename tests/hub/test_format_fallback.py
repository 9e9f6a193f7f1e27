"""Formats registered with ``fallback=True`` (they claim files by suffix alone, as the HistFactory
format claims every .json file) give way to a format that recognises the file by its content;
``--backend`` is ``--format`` and takes a format's backend too; ``likelihub.plugin.open_model``
reads a file of any format with the format's options by name or flag (issue 17).

The test formats hold one Poisson counting bin: CLs is the closed form of arXiv:1007.1727
(tests/hub/test_counting_closed_forms.py, 2e-6 absolute, as there).
"""

from __future__ import annotations

import json
import textwrap

import pytest

from likelihub.cli.models import cls_command
from likelihub.errors import InvalidArgumentError
from likelihub.plugin import open_model
from likelihub.registry.catalogue import find_format, get_format

from .test_cli_formats import assert_one_line_error, make_registry, run
from .test_counting_closed_forms import cls_closed_form

PLUGIN = textwrap.dedent('''
    import likelihub

    HERE = "tests.hub.test_cli_formats"

    @likelihub.hookimpl
    def likelihub_register_formats(register):
        register("toy.counting", backend="toy.counting_backend", detect=HERE + ":is_counting",
                 options=HERE + ":COUNTING_OPTIONS", open=HERE + ":open_counting", label="toy counting files")
        register("toy.anything", backend="toy.anything", detect=HERE + ":is_other",
                 options=HERE + ":OTHER_OPTIONS", open=HERE + ":open_other", label="any .other file",
                 fallback=True)
''')


@pytest.fixture
def registry(tmp_path, monkeypatch):
    return make_registry(tmp_path, monkeypatch, PLUGIN, name="fallback")


@pytest.fixture
def both(tmp_path):
    path = tmp_path / "bin.other"  # the suffix the fallback format claims, the counting content
    path.write_text("counting n=10 s=5 b=8\n")
    return path


def test_the_content_format_wins_over_the_fallback(registry, both, tmp_path):
    assert registry.formats["toy.anything"].fallback and not registry.formats["toy.counting"].fallback
    assert find_format(str(both)).name == "toy.counting"
    output = json.loads(run(cls_command, both).output)
    assert output["CLs_obs"] == pytest.approx(cls_closed_form(1.0, 10.0), abs=2e-6)
    alone = tmp_path / "plain.other"  # only the fallback recognises it: it is chosen
    alone.write_text("anything\n")
    assert find_format(str(alone)).name == "toy.anything"


def test_backend_is_format_and_takes_a_formats_backend(registry, both):
    assert get_format("toy.counting_backend").name == "toy.counting"
    for flag, name in (("--backend", "toy.counting"), ("--backend", "toy.counting_backend"),
                       ("--format", "toy.counting_backend")):
        output = json.loads(run(cls_command, both, flag, name).output)
        assert output["CLs_obs"] == pytest.approx(cls_closed_form(1.0, 10.0), abs=2e-6)
    assert_one_line_error(run(cls_command, both, "--backend", "toy.none"), 2, "--format/--backend",
                          "no file format called 'toy.none'")


def test_open_model_takes_options_by_name_or_flag(registry, both):
    for key in ("scale", "--scale"):
        model = open_model(str(both), **{key: 2.0})  # s = 10 at mu = 1: CLs of mu = 2 for s = 5
        assert model.cls(1.0).cls_obs == pytest.approx(cls_closed_form(2.0, 10.0), abs=2e-6)
    with pytest.raises(InvalidArgumentError, match="'flavour': not an option of toy counting files"):
        open_model(str(both), flavour="up")
    with pytest.raises(InvalidArgumentError, match="given twice"):
        open_model(str(both), **{"scale": 2.0, "--scale": 3.0})


def test_format_and_backend_given_with_different_values_are_refused(registry, both):
    result = run(cls_command, both, "--format", "toy.counting", "--backend", "toy.anything")
    assert_one_line_error(result, 2, "--format/--backend", "different values", "toy.counting, toy.anything")
    output = json.loads(run(cls_command, both, "--format", "toy.counting", "--backend",
                            "toy.counting_backend", "--format", "toy.counting").output)
    assert output["CLs_obs"] == pytest.approx(cls_closed_form(1.0, 10.0), abs=2e-6)


def test_standard_input_is_recognised_by_content_and_named(registry, both):
    from click.testing import CliRunner

    result = CliRunner().invoke(cls_command, ["-"], input=both.read_text())
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["CLs_obs"] == pytest.approx(cls_closed_form(1.0, 10.0), abs=2e-6)
    result = CliRunner().invoke(cls_command, ["-"], input="")  # recognised by none
    assert_one_line_error(result, 1, "'standard input'", "not a file of a known format")


def test_a_directory_is_named_as_one(registry, tmp_path):
    with pytest.raises(Exception, match="is a directory"):
        find_format(str(tmp_path))


def test_inspect_reads_standard_input_by_content(shared_data):
    # the same summary as of the file, the file's name replaced by "standard input"
    from click.testing import CliRunner

    from likelihub.cli.main import cli

    path = shared_data / "simplified" / "CMS-NOTE-2017-001.json"
    of_file = CliRunner().invoke(cli, ["inspect", str(path)])
    of_input = CliRunner().invoke(cli, ["inspect", "-"], input=path.read_text())
    assert of_file.exit_code == 0 and of_input.exit_code == 0, of_input.output
    assert of_input.output == of_file.output.replace(str(path), "standard input")
