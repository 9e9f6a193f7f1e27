"""Synthetic datacards (and their ROOT templates, written with uproot) for the kernel tests: the
terms the published cards lack."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import uproot

EVERYTHING = """imax 3
jmax 3
kmax *
---
shapes * *   shapes.root $CHANNEL/$PROCESS $CHANNEL/$PROCESS_$SYSTEMATIC
shapes * ch2 FAKE
---
bin         ch1 ch2 ch3
observation -1  12  -1
---
bin      ch1       ch1  ch1  ch2  ch2  ch2  ch3       ch3
process  sig       bkg1 bkg2 sig  bkg1 cr   sig       bkg1
process  0         1    2    0    1    3    0         1
rate     -1        -1   -1   1.5  4.0  3.0  -1        -1
---
lumi  lnN    0.95/1.08 1.02 -    1.05 1.05 -    0.97/1.04 1.02
jes   shape  0.5       1    -    -    -    -    1         1
res   shapeN -         1    1    -    -    -    -         1
unc   lnU    -         -    -    -    1.5  -    -         -
cr    gmN 6  -         -    -    -    -    0.5  -         -
ch1 autoMCStats 10
norm_b rateParam ch1 bkg2 1.0 [0,5]
extp   extArg 1.0 [0,3]
extp   param 1.0 -0.2/+0.3
ff rateParam ch2 bkg1 (@0*@0+0.5*exp(@1)-sqrt(@0)/pow(@1+2,2)+abs(@1-1)+min(@0,@1)+max(@0,1.5)) norm_b,extp
"""

#: ch1 (4 bins, autoMCStats 10): bin 0 Barlow-Beeston-lite; bins 1-3 per process (Poisson where
#: value >= error and (value/error)^2 <= 10, Gaussian otherwise). ch3 (3 bins): bkg1's bin 1 is
#: 0 at nominal and clipped at the floor for jes < 0.
TEMPLATES = {
    "ch1": {
        "data_obs": [28.0, 12.0, 5.0, 13.0],
        "sig": ([1.0, 3.0, 2.0, 0.5], [0.3, 1.0, 0.5, 0.6]),
        "bkg1": ([20.0, 6.0, 3.0, 8.0], [1.0, 3.0, 1.0, 4.0]),
        "bkg2": ([10.0, 4.0, 0.5, 6.0], [1.0, 1.5, 1.0, 3.0]),
        "sig_jesUp": [1.2, 3.3, 1.8, 0.6], "sig_jesDown": [0.8, 2.7, 2.1, 0.45],
        "bkg1_jesUp": [22.0, 7.0, 2.5, 8.5], "bkg1_jesDown": [18.0, 5.5, 3.5, 7.0],
        "bkg1_resUp": [21.0, 5.0, 3.2, 8.8], "bkg1_resDown": [19.5, 6.6, 2.9, 7.5],
        "bkg2_resUp": [11.0, 3.5, 0.6, 6.5], "bkg2_resDown": [9.0, 4.6, 0.45, 5.2],
    },
    "ch3": {
        "data_obs": [9.0, 2.0, 6.0],
        "sig": [1.0, 1.5, 0.5], "sig_jesUp": [1.1, 1.6, 0.4], "sig_jesDown": [0.9, 1.3, 0.6],
        "bkg1": [5.0, 0.0, 4.0], "bkg1_jesUp": [5.5, 0.3, 3.8], "bkg1_jesDown": [4.5, 0.0, 4.2],
        "bkg1_resUp": [5.2, 0.1, 3.6], "bkg1_resDown": [4.7, 0.1, 4.4],
    },
}

STACKABLE = """imax 2
jmax 1
kmax *
---
bin         a  b
observation 7  11
---
bin      a    a    b    b
process  sig  bkg  sig  bkg
process  0    1    0    1
rate     {signal} 5.0  {signal2} 9.0
---
{systematics}
bnorm rateParam b bkg 1.0 [0,4]
"""
SYSTEMATICS = ["lumi lnN 1.025 1.025 1.025 1.025", "bkgsys lnN - 0.8/1.3 - 1.1", "eff lnN 1.05 - 1.04 -"]


def _histogram(values, errors=None):
    values = np.asarray(values, float)
    edges = np.arange(values.size + 1, dtype=float)
    if errors is None:
        return values, edges
    padded = np.concatenate([[0.0], values, [0.0]])
    sumw2 = np.concatenate([[0.0], np.asarray(errors, float) ** 2, [0.0]])
    axis = uproot.writing.identify.to_TAxis("xaxis", "", values.size, 0.0, float(values.size))
    total = float(values.sum())
    return uproot.writing.identify.to_TH1x("h", "h", padded, total, total, float(sumw2.sum()), 0.0, 0.0,
                                           sumw2, axis)


def write_everything_card(folder: Path) -> Path:
    """The card :data:`EVERYTHING` and its templates in ``folder``; the card's path."""
    with uproot.recreate(folder / "shapes.root") as handle:
        for channel, histograms in TEMPLATES.items():
            for name, content in histograms.items():
                handle[f"{channel}/{name}"] = (_histogram(*content) if isinstance(content, tuple)
                                               else _histogram(content))
    path = folder / "everything.txt"
    path.write_text(EVERYTHING)
    return path


def write_stackable_cards(folder: Path) -> list[Path]:
    """Two counting cards with the same parameters, named in another order, and other signals."""
    paths = []
    for i, (signal, systematics) in enumerate([((2.0, 1.0), SYSTEMATICS), ((3.5, 0.4), SYSTEMATICS[::-1])]):
        path = folder / f"stackable{i}.txt"
        text = STACKABLE.format(signal=signal[0], signal2=signal[1], systematics="\n".join(systematics))
        path.write_text(text)
        paths.append(path)
    return paths
