"""``--plot FILE`` is refused before any work where matplotlib writes no image of FILE's suffix
(the formats are matplotlib's own: ``Figure().canvas.get_supported_filetypes()``)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from likelihub.cli.options import PlotFile

pytest.importorskip("matplotlib")


@click.command()
@click.option("--plot", type=PlotFile())
def command(plot):
    click.echo(f"work done, plot {plot}")


def test_an_image_format_is_accepted(tmp_path):
    for name in ("brazil.png", "brazil.PDF", "brazil.svg"):
        result = CliRunner().invoke(command, ["--plot", str(tmp_path / name)])
        assert result.exit_code == 0 and "work done" in result.output, result.output


def test_another_suffix_is_refused_before_the_work(tmp_path):
    from matplotlib.figure import Figure

    for name in ("brazil.xyz", "brazil"):
        result = CliRunner().invoke(command, ["--plot", str(tmp_path / name)])
        assert result.exit_code == 2 and "work done" not in result.output
        assert "matplotlib writes" in result.output
        assert ", ".join(sorted(Figure().canvas.get_supported_filetypes())) in result.output
