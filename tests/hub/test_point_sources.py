"""Point sources: registered through the plugin hook, found by name or by recognising an input, and
scanned by the core (lh.scan) with any executor, lock-step CLs, limits, output and resume.

The family here: counting models n = 10, b = 8 with the point's signal yield (tests/hub/counting.py);
each row must equal what the point's single model gives (CLs: lock-step fits vs one model's, to
the fits' precision, 1e-9 relative; limits: the same computation, exactly).
"""

from __future__ import annotations

import sys
import textwrap
from importlib.metadata import EntryPoint

import pytest

import likelihub as lh
from likelihub.errors import InvalidArgumentError, PluginError, PluginWarning, UnknownBackendError
from likelihub.plugin import PointFamily, PointSource, ScanPoint
from likelihub.registry import plugins as registry_module
from likelihub.registry.catalogue import find_point_source, get_point_source
from likelihub.registry.plugins import Registry

from .counting import CountingBackend

SIGNALS = {"s1": 1.0, "s2": 2.0, "s4": 4.0, "s8": 8.0}


def counting_model(signal: float):
    return lh.StatisticalModel(CountingBackend(10, signal, 8))


class CountingModels:
    """Builder: the counting model of a point (its payload is the signal yield)."""

    def __call__(self, point: ScanPoint):
        if point.payload < 0:
            raise ValueError("negative signal")
        return counting_model(point.payload)

    def warm_up_model(self):
        return counting_model(1.0)


class CountingSource(PointSource):
    """A mapping of point names to signal yields."""

    def recognises(self, source, /, *more, **options) -> bool:
        return isinstance(source, dict) and not more and all(isinstance(v, float) for v in source.values())

    def open(self, source, /, *more, scale: float = 1.0):
        points = [ScanPoint(name, (signal,), payload=scale * signal) for name, signal in source.items()]
        return PointFamily(CountingModels(), points, labels=["signal"])


PLUGIN = textwrap.dedent('''
    import likelihub

    @likelihub.hookimpl
    def likelihub_register_point_sources(register):
        register("toy.counting_grid", "tests.hub.test_point_sources:CountingSource", version="2.0",
                 description="signal yields")
        register("toy.broken", "no_such_module_xyz:Source")
''')


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """A registry of one plugin with a good and a broken point source, as the default registry."""
    name = f"point_plugin_{tmp_path.name}".replace("-", "_")
    (tmp_path / f"{name}.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry([EntryPoint(name="toy", value=name, group="likelihub.backends")])
    monkeypatch.setattr(registry_module, "default_registry", lambda: registry)
    import likelihub.cli.main  # noqa: F401  (the module, which `likelihub.cli.main` hides)

    monkeypatch.setattr(sys.modules["likelihub.cli.main"], "default_registry", lambda: registry)
    yield registry
    sys.modules.pop(name, None)


def test_sources_are_registered_with_metadata_and_loaded_on_use(registry):
    info = registry.point_sources["toy.counting_grid"]
    assert (info.plugin, info.version, info.description) == ("toy", "2.0", "signal yields")
    source = get_point_source("toy.counting_grid")
    assert isinstance(source, CountingSource) and source.name == "toy.counting_grid"
    with pytest.raises(PluginError, match="point source 'toy.broken' of plugin 'toy'"):
        get_point_source("toy.broken")
    with pytest.raises(UnknownBackendError, match="installed: toy.broken, toy.counting_grid"):
        get_point_source("toy.nothing")


def test_plugins_command_lists_sources_and_reports_a_broken_one(registry):
    from click.testing import CliRunner

    from likelihub.cli import cli

    output = CliRunner().invoke(cli, ["plugins"]).output
    assert "toy: backends -; point sources toy.broken, toy.counting_grid" in output
    assert "toy: point source 'toy.broken' failed to load (" in output


def test_a_source_is_found_by_recognising_its_input(registry):
    assert find_point_source(dict(SIGNALS)).name == "toy.counting_grid"
    with pytest.raises(InvalidArgumentError, match="no installed point source recognises 'grid.txt'"):
        find_point_source("grid.txt")


def test_an_incompatible_plugin_registers_no_source(tmp_path, monkeypatch):
    (tmp_path / "old_point_plugin.py").write_text(PLUGIN.replace('version="2.0"',
                                                                 'core_versions=">=9"'))
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.warns(PluginWarning, match="supports likelihub core >=9"):
        registry = Registry([EntryPoint(name="old", value="old_point_plugin", group="likelihub.backends")])
    assert registry.point_sources == {}
    sys.modules.pop("old_point_plugin", None)


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_scan_rows_equal_single_models(registry, executor):
    result = lh.scan(dict(SIGNALS), executor=executor, max_workers=2, progress=False)
    assert [r["name"] for r in result.rows] == list(SIGNALS)
    assert result.labels == ["signal"]
    for row in result.rows:
        single = counting_model(SIGNALS[row["name"]]).cls(1.0)
        assert row["values"] == [SIGNALS[row["name"]]]
        assert row["cls_obs"] == pytest.approx(single.cls_obs, rel=1e-9)
        assert row["cls_exp"] == pytest.approx(list(single.cls_exp), rel=1e-9)


def test_scan_of_upper_limits_by_kind_with_a_source_option(registry):
    result = lh.scan(dict(SIGNALS), kind="toy.counting_grid", what="upper_limit", cl=0.9, scale=2.0,
                     executor="serial", progress=False)
    for row in result.rows:
        limit = counting_model(2.0 * SIGNALS[row["name"]]).upper_limit(cl=0.9)
        assert row["upper_limit_obs"] == limit.observed
        assert row["upper_limit_exp"] == list(limit.expected)


def test_scan_output_and_resume(registry, tmp_path, monkeypatch):
    from likelihub.running.scan import ModelEvaluator

    evaluated = []
    original = ModelEvaluator.evaluate_many

    def recording(self, points):
        evaluated.extend(p.name for p in points)
        return original(self, points)

    monkeypatch.setattr(ModelEvaluator, "evaluate_many", recording)
    output = tmp_path / "rows.csv"
    first = dict(list(SIGNALS.items())[:2])
    lh.scan(first, executor="serial", progress=False, output=str(output))
    result = lh.scan(dict(SIGNALS), executor="serial", progress=False, output=str(output), resume=True)
    assert evaluated == ["s1", "s2", "s4", "s8"]  # each point once
    assert [r["name"] for r in result.rows] == list(SIGNALS)
    # the source's options are the scan's settings, which an interrupted scan's output records
    assert CountingSource().settings({"scale": 2.0}) == {"scale": "2.0"}


def test_a_failing_point_keeps_its_row_and_mu_is_checked_against_the_poi_bounds(registry):
    rows = lh.scan({"good": 1.0, "bad": -1.0}, executor="serial", progress=False).rows
    assert "error" not in rows[0] and rows[1]["error"] == "ValueError: negative signal"
    with pytest.raises(InvalidArgumentError, match=r"mu = 11 lies outside the bounds \[0, 10\]"):
        lh.scan(dict(SIGNALS), mu=11.0, executor="serial")
    with pytest.raises(InvalidArgumentError, match="argument 'what'"):
        lh.scan(dict(SIGNALS), what="limits")
