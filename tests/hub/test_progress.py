"""Progress bars of upper limits and profile scans (issue 17): ``progress=`` shows a bar on
standard error, or advances the caller's bar, and changes no number (the origin of every number
here: the same call without a bar)."""

from __future__ import annotations

import numpy as np

import likelihub as lh
from likelihub.progress import progress_bar, wanted

from .counting import BatchCountingBackend
from .test_profile_scan import DoubleWell, gaussian

#: The counting model of tests/hub/test_toys.py: n = 10, s = 5, b = 8, delta = 0.1.
N, S, B, DELTA = 10.0, 5.0, 8.0, 0.1


class Counter:
    """The caller's bar: counts what it is told (``update``) and keeps the last postfix."""

    def __init__(self, total=None):
        self.total, self.n, self.postfix = total, 0, ""

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix_str(self, text: str = "", refresh: bool = True) -> None:
        self.postfix = text


def model() -> lh.StatisticalModel:
    return lh.StatisticalModel(BatchCountingBackend(N, S, B, DELTA))


def test_the_upper_limit_bar_counts_the_six_limits_and_changes_no_number(capsys):
    quiet = model().upper_limit(progress=False)
    assert capsys.readouterr().err == ""
    shown = model().upper_limit(progress=True)
    err = capsys.readouterr().err
    assert "upper limits" in err and "6/6" in err and "CLs at mu = " in err
    assert shown.to_dict() == quiet.to_dict()
    counter = Counter()
    assert model().upper_limit(expected="observed", progress=counter).to_dict()["observed"] == quiet.observed
    assert counter.n == 1 and counter.postfix.startswith("CLs at mu = ")


def test_an_upper_limit_from_toys_nests_the_toys_bars(capsys):
    kwargs = {"calculator": "toys", "ntoys": 50, "expected": "observed", "rtol": 0.01}
    quiet = model().upper_limit(rng=np.random.default_rng(3), progress=False, **kwargs)
    shown = model().upper_limit(rng=np.random.default_rng(3), progress=True, **kwargs)
    err = capsys.readouterr().err
    # the limit's bar stays; each tested mu's toys (both hypotheses: 100) have their own bar
    assert "1/1" in err and "toys at mu = " in err and "/100 [" in err
    assert shown.observed == quiet.observed


def test_the_profile_scan_bar_counts_the_grid_points(capsys):
    quiet = gaussian().profile_scan({"x0": (-1.0, 2.0, 4), "x1": [-2.0, 0.0, 1.0]}, progress=False)
    assert capsys.readouterr().err == ""
    shown = gaussian().profile_scan({"x0": (-1.0, 2.0, 4), "x1": [-2.0, 0.0, 1.0]}, progress=True)
    err = capsys.readouterr().err
    assert "profile scan" in err and "12/12" in err
    np.testing.assert_array_equal(shown.twice_delta_nll, quiet.twice_delta_nll)


def test_a_second_pass_of_the_profile_scan_adds_to_the_total():
    # DoubleWell: the free fit misses the global minimum, the scan is redone from a grid point
    # (tests/hub/test_profile_scan.py), so the 21 points are fitted twice
    counter = Counter(total=21)
    scan = lh.StatisticalModel(DoubleWell()).profile_scan({"y": (-2.0, 2.0, 21)}, progress=counter)
    assert scan.best_fit_from == (-1.0,)
    assert counter.n == 42 and counter.total == 42


def test_the_default_shows_a_bar_only_on_a_terminal(capsys, monkeypatch):
    assert wanted(True) and not wanted(False)
    assert not wanted(None)  # pytest's standard error is no terminal
    model().upper_limit()
    assert capsys.readouterr().err == ""
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    assert wanted(None)


def test_a_silent_bar_takes_every_call():
    with progress_bar(False, total=3, unit="fit", desc="x") as bar:
        bar.update(2)
        bar.total += 1
        bar.set_postfix_str("y")
        bar.refresh()


def test_the_cls_scan_bar_counts_the_signal_strengths_and_changes_no_number(capsys):
    mus = [0.5, 1.0, 1.5, 2.0]
    quiet = model().cls_scan(mus, progress=False)
    assert capsys.readouterr().err == ""
    shown = model().cls_scan(mus, progress=True)
    assert "CLs scan" in capsys.readouterr().err
    assert shown.to_dict() == quiet.to_dict()
    counter = Counter()
    assert model().cls_scan(mus, progress=counter).to_dict() == quiet.to_dict()
    assert counter.n == len(mus)
