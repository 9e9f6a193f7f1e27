"""Signal grids (``simplified.signal_grid``) whose points have several signal components, each with
its own POI (issue 14): ``"signal": {"mu_a": [...], "mu_b": [...]}`` in JSON, ``mu_a/SR1`` headers in
CSV, ``poi=`` (``--poi``) to test another POI than the first.

Origins of the numbers: a point's row is the model built directly with the factory
(``signal_yields={"mu_a": ..., "mu_b": ...}``) and ``with_poi``: the same likelihood and the same fits,
so equal to 1e-12 relative (rounding only: the scan's lock-step fits of a chunk and a single model's
fits do the same arithmetic); a component without signal holds its POI at 0, which leaves the
one-component likelihood term for term (mu_b * 0 adds exact zeros), so that grid equals the
one-component grid to the same 1e-12; CSV and JSON forms of one grid are the same floats, so their
rows are identical.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import likelihub as lh
from likelihub.cli.scan import scan_command
from likelihub.errors import InvalidArgumentError, InvalidModelError

BACKGROUND = [5.0, 6.0, 4.0]
DATA = [6.0, 8.0, 3.0]
COVARIANCE = [[1.0, 0.3, -0.2], [0.3, 4.0, 0.5], [-0.2, 0.5, 2.0]]
SHARED = {"background": BACKGROUND, "data": DATA, "covariance": COVARIANCE}
BINS = ["SR1", "SR2", "SR3"]
#: point -> (mass, yields of component a, yields of component b)
POINTS = {"m100": (100.0, [2.0, 0.5, 1.5], [0.4, 3.0, 1.0]),
          "m200": (200.0, [1.0, 1.5, 0.7], [0.2, 0.6, 2.0]),
          "m300": (300.0, [0.5, 0.6, 0.3], [1.1, 0.0, 0.25])}
RTOL = 1e-12  # the same model and fits as the factory's (module docstring): rounding only


def document(b_scale: float = 1.0) -> dict:
    return {"labels": ["mass"], **SHARED, "points": [
        {"name": name, "values": [mass], "signal": {"mu_a": a, "mu_b": [b_scale * s for s in b]}}
        for name, (mass, a, b) in POINTS.items()]}


def direct(name: str, poi: str | None = None):
    """The point's model built with the factory (and with_poi): what its row must equal."""
    _, a, b = POINTS[name]
    model = lh.get_backend("simplified.correlated_background")(
        signal_yields={"mu_a": a, "mu_b": b}, background_yields=BACKGROUND, data=DATA,
        covariance_matrix=COVARIANCE)
    return model if poi is None else model.with_poi(poi)


def scan(source, **options):
    return lh.scan(source, executor="serial", progress=False, **options).rows


def check_close(rows, expected: dict) -> None:
    """Each row's numbers equal ``expected[name]``'s to RTOL."""
    assert [row["name"] for row in rows] == list(expected)
    for row in rows:
        assert "error" not in row, row
        for key, value in expected[row["name"]].items():
            assert row[key] == pytest.approx(value, rel=RTOL, abs=1e-300), (row["name"], key)


def cls_of(model) -> dict:
    result = model.cls(1.0)
    return {"cls_obs": result.cls_obs, "cls_exp": list(result.cls_exp)}


def limit_of(model) -> dict:
    limit = model.upper_limit()
    return {"upper_limit_obs": limit.observed, "upper_limit_exp": list(limit.expected)}


@pytest.mark.parametrize("poi", [None, "mu_b"])
def test_rows_are_the_factory_model_with_poi(poi):
    options = {} if poi is None else {"poi": poi}
    check_close(scan(document(), **options), {name: cls_of(direct(name, poi)) for name in POINTS})
    check_close(scan(document(), what="upper_limit", **options),
                {name: limit_of(direct(name, poi)) for name in POINTS})


def test_the_first_poi_is_tested_by_default():
    # the same models (with_poi of the POI tested already changes nothing), so the same rows
    default = scan(document())
    assert scan(document(), poi="mu_a") == default
    assert default != scan(document(), poi="mu_b")


def test_rows_travel_to_worker_processes():
    # the payload {poi: yields} and the builder's poi are pickled to the workers: the same rows
    rows = lh.scan(document(), poi="mu_b", executor="processes", max_workers=2, progress=False).rows
    check_close(rows, {name: cls_of(direct(name, "mu_b")) for name in POINTS})


def test_a_component_without_signal_is_the_one_component_grid():
    one = {**document(), "points": [{"name": name, "values": [mass], "signal": a}
                                    for name, (mass, a, _) in POINTS.items()]}
    for what in ("cls", "upper_limit"):
        expected = {row["name"]: {k: v for k, v in row.items() if k not in ("name", "values")}
                    for row in scan(one, what=what)}
        check_close(scan(document(b_scale=0.0), what=what), expected)


def csv_text(header_b: list[str], rows_b: dict | None = None) -> str:
    """The grid as CSV: name, mass, mu_a's bins, then mu_b's columns as ``header_b`` orders them."""
    lines = ["name,mass," + ",".join(f"mu_a/{b}" for b in BINS) + "," + ",".join(header_b)]
    for name, (mass, a, b) in POINTS.items():
        by_bin = dict(zip(BINS, b, strict=True))
        cells_b = [repr(by_bin[h.partition("/")[2]]) for h in header_b]
        lines.append(",".join([name, repr(mass), *map(repr, a), *cells_b]))
    return "\n".join(lines) + "\n"


def test_csv_and_json_grids_give_identical_rows(tmp_path):
    # mu_b's columns in another bin order than mu_a's: matched by bin name
    path = tmp_path / "grid.csv"
    path.write_text(csv_text(["mu_b/SR3", "mu_b/SR1", "mu_b/SR2"]))
    (tmp_path / "grid.json").write_text(json.dumps(document()))
    for options in ({}, {"poi": "mu_b", "what": "upper_limit"}):
        from_csv = scan(str(path), label_columns=["mass"], **SHARED, **options)
        assert from_csv == scan(str(tmp_path / "grid.json"), **options)
    # "points" as a mapping {name: signal}: the same numbers (no label values)
    by_name = {**SHARED, "points": {p["name"]: p["signal"] for p in document()["points"]}}
    masses = [[mass] for mass, _, _ in POINTS.values()]
    labelled = [{**row, "values": mass} for row, mass in zip(scan(by_name), masses, strict=True)]
    assert labelled == scan(document())


def test_the_command_line_poi(tmp_path):
    path = tmp_path / "grid.json"
    path.write_text(json.dumps(document()))
    output = tmp_path / "rows.json"
    result = CliRunner().invoke(scan_command, [str(path), "--poi", "mu_b", "--what", "upper_limit",
                                               "--executor", "serial", "--output", str(output)])
    assert result.exit_code == 0, result.output
    check_close(json.loads(output.read_text()), {name: limit_of(direct(name, "mu_b")) for name in POINTS})
    result = CliRunner().invoke(scan_command, [str(path), "--poi", "mu_c", "--executor", "serial"])
    assert result.exit_code == 1 and "argument 'poi'" in result.output and "'mu_c'" in result.output
    assert "Traceback" not in result.output


def test_the_tested_poi_bounds_the_tested_mu():
    # mu_b's upper bound at the first point is 10 * sum(n) / sum(s_b) = 170 / 4.4 = 38.6 (the
    # factories' poi_bounds), mu_a's 170 / 4 = 42.5: mu = 40 is refused for mu_b only
    assert "error" not in scan(document(), mu=40.0)[0]
    with pytest.raises(InvalidArgumentError, match=r"argument 'mu'.*\[0, 38\.6364\].*'mu_b'"):
        scan(document(), poi="mu_b", mu=40.0)


def test_a_scan_testing_another_poi_is_not_resumed_without_it(tmp_path, monkeypatch):
    from likelihub.errors import ScanOutputError
    from likelihub.running import scanning
    from likelihub.running.scan import ModelEvaluator

    original, calls = ModelEvaluator.evaluate_many, []

    def interrupted_at_the_second_chunk(self, points):
        calls.append(points)
        if len(calls) == 2:
            raise KeyboardInterrupt  # as Ctrl-C: the lock file beside the output marks the scan interrupted
        return original(self, points)

    output = str(tmp_path / "rows.csv")
    with monkeypatch.context() as patch:
        patch.setattr(scanning, "SERIAL_CHUNK", 1)
        patch.setattr(ModelEvaluator, "evaluate_many", interrupted_at_the_second_chunk)
        with pytest.raises(KeyboardInterrupt):
            scan(document(), poi="mu_b", output=output)
    with pytest.raises(ScanOutputError, match="poi = \"'mu_b'\", not 'None'"):
        scan(document(), output=output, resume=True)
    check_close(scan(document(), poi="mu_b", output=output, resume=True),
                {name: cls_of(direct(name, "mu_b")) for name in POINTS})


def with_point(index: int, **changes) -> dict:
    grid = document()
    grid["points"][index] = {**grid["points"][index], **changes}
    return grid


@pytest.mark.parametrize("grid, match", [
    (with_point(1, signal={"mu_a": [1.0, 1.0, 1.0], "mu_c": [1.0, 1.0, 1.0]}),
     r"argument 'signal'.*point 'm200' has signal components \['mu_a', 'mu_c'\], the first point 'm100' "
     r"signal components \['mu_a', 'mu_b'\]"),
    (with_point(2, signal=[1.0, 1.0, 1.0]),
     r"argument 'signal'.*point 'm300' has one signal list, the first point 'm100' signal components"),
    (with_point(1, signal={"mu_a": [1.0, 1.0, 1.0], "mu_b": [1.0, 2.0]}),
     r"argument 'signal'.*point 'm200' has 2 yields of 'mu_b', the first point 'm100' 3"),
    (with_point(0, signal={"mu_a": [1.0, 1.0, 1.0]}), r"point 'm100'.*two or more"),
    (with_point(0, signal={"mu a": [1.0, 1.0, 1.0], "mu_b": [1.0, 1.0, 1.0]}),
     r"point 'm100'.*identifiers, got 'mu a'"),
    (with_point(2, signal={"mu_a": [1.0, "x", 1.0], "mu_b": [1.0, 1.0, 1.0]}),
     r"point 'm300': signal\['mu_a'\] must be a list of numbers"),
])
def test_mismatched_points_are_refused(grid, match):
    with pytest.raises(InvalidModelError, match=match):
        scan(grid)


def test_bad_pois_are_refused_before_any_point():
    with pytest.raises(InvalidArgumentError, match=r"argument 'poi'.*no parameter 'mu_c'.*'m100'"):
        scan(document(), poi="mu_c")
    # the factories refuse a POI named as a background nuisance, at every point: said once
    clash = {**document(), "points": [{"name": "p", "signal": {"theta_0": [1, 1, 1], "mu_b": [1, 2, 3]}}]}
    with pytest.raises(InvalidArgumentError, match=r"argument 'signal_yields'.*\['theta_0'\]"):
        scan(clash)
    with pytest.raises(InvalidArgumentError, match=r"argument 'background': shape \(2,\), expected \(3,\)"):
        scan(document(), background=[1.0, 2.0])


@pytest.mark.parametrize("header_b, match", [
    (["mu_b/SR1", "mu_b/SR2", "SR3"], r"column 'SR3' has no '<poi>/' prefix but column 'mu_a/SR1' has one"),
    (["mu_b/SR1", "mu_b/SR2", "mu b/SR3"], r"column 'mu b/SR3': .*'<poi>/<bin>'.*identifier"),
    (["mu_b/SR1", "mu_b/SR2", "mu_b/"], r"column 'mu_b/': .*bin not empty"),
    (["mu_b/SR1", "mu_b/SR2", "mu_b/SR2"], r"column 'mu_b/SR2' appears twice"),
    (["mu_b/SR1", "mu_b/SR2", "mu_b/SR4"], r"column 'mu_b/SR4': component 'mu_a' has no bin 'SR4'"),
    (["mu_b/SR1", "mu_b/SR2"], r"no column 'mu_b/SR3': component 'mu_b' lacks the bin 'SR3'"),
    (["mu_a/SR4", "mu_a/SR5", "mu_a/SR6"], r"every yield column is of the one component 'mu_a'"),
])
def test_bad_csv_headers_name_the_column(tmp_path, header_b, match):
    lines = csv_text(["mu_b/SR1", "mu_b/SR2", "mu_b/SR3"]).splitlines()
    lines[0] = lines[0].rsplit(",", 3)[0] + "," + ",".join(header_b)
    lines[1:] = [",".join(line.split(",")[:2 + len(BINS) + len(header_b)]) for line in lines[1:]]
    path = tmp_path / "grid.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InvalidModelError, match=f"file '{path}'.*{match}"):
        scan(str(path), label_columns=["mass"], **SHARED)
