"""pyhf staterror as Combine's autoMCStats (Barlow-Beeston-lite), where the two are one likelihood.

pyhf multiplies the yields of the samples carrying the staterror by ``gamma_j``, Gaussian around 1
of width ``delta_j = sqrt(sum_k e_kj^2) / sum_k t_kj``; ``autoMCStats 0 1`` makes Combine add
``x_j E_j(theta)`` with ``E_j = sqrt(sum_k (f_k(theta) e_kj)^2)`` (templates' errors e, the
samples' normalisation factors f) wherever the effective count ``round(total^2 / E^2)`` at the
initial parameters is above 0. With ``x_j = (gamma_j - 1) / delta_j`` they agree when the samples
contributing to the bin share one factor f(theta) and no histosys moves their yield there (see
:mod:`.mcstats_map`); the constraints differ by log delta_j (kept in the conversion's constant).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .exactness import FIXED_GAUSSIAN_NLL
from .histograms import Histogram
from .pyhf_channels import Channel, setting

if TYPE_CHECKING:
    from .card_lines import CardWriter

__all__ = ["staterror_lines"]

_FACTORS = ("normsys", "normfactor", "lumi", "shapesys", "shapefactor")


def _signature(sample) -> tuple:
    keys = []
    for m in sample.modifiers:
        if m["type"] == "normsys":
            keys.append(("normsys", m["name"], float(m["data"]["hi"]), float(m["data"]["lo"])))
        elif m["type"] in _FACTORS:
            keys.append((m["type"], m["name"]))
    return tuple(sorted(keys))


def _initial_factor(writer: CardWriter, sample) -> float:
    """The sample's normalisation factor at Combine's initial parameters (r = 1)."""
    factor = 1.0
    for m in sample.modifiers:
        if m["type"] == "normfactor" and m["name"] != writer.poi:
            factor *= setting(writer.settings, m["name"], "normfactor")[0]
        elif m["type"] == "lumi":
            factor *= float(writer.settings[m["name"]]["auxdata"][0])
    return factor


def _offset(writer: CardWriter, name: str, channel: str) -> int:
    """Where the channel's bins start among the staterror's components (channels sorted by name)."""
    offset = 0
    for other in sorted(writer.channels, key=lambda ch: ch.name):
        if other.name == channel:
            return offset
        if any(m["type"] == "staterror" and m["name"] == name for s in other.samples for m in s.modifiers):
            offset += other.observed.size
    return offset


def staterror_lines(writer: CardWriter, channel: Channel, columns: list) -> None:
    """Write the channel's autoMCStats line and error templates; link the staterror components."""
    c, n = channel.name, channel.observed.size
    errors, names = {}, []
    for _, sample in columns:
        for m in sample.modifiers:
            if m["type"] == "staterror":
                errors[sample.name] = np.hypot(
                    errors.get(sample.name, np.zeros(n)), np.asarray(m["data"], float)
                )
                names += [m["name"]] if m["name"] not in names else []
    if len(names) > 1:
        writer.notes.note(
            f"the staterrors of channel {c}",
            f"{len(names)} staterror names ({', '.join(names)}), "
            "and autoMCStats has one Barlow-Beeston-lite term per bin",
            "one autoMCStats",
            **writer.where(c),
        )
    carriers = [sample for _, sample in columns if sample.name in errors]
    for sample in carriers:
        writer.histograms[f"{c}/{sample.name}"] = Histogram.of(sample.nominal, errors[sample.name])
    name, offset = names[0], _offset(writer, names[0], c)
    factors = {s.name: _initial_factor(writer, s) for _, s in columns}
    for j in range(n):
        where = {**writer.where(c, modifier=name), "bin": j}
        yields = sum(s.nominal[j] for s in carriers)
        spread = math.sqrt(sum(errors[s.name][j] ** 2 for s in carriers))
        if spread == 0:
            writer.constant -= FIXED_GAUSSIAN_NLL  # pyhf's fixed component; no Combine parameter
            continue
        what = f"staterror {name}[{offset + j}]"
        if yields <= 0:
            writer.notes.note(
                what, "errors without yield: pyhf fixes it, Combine adds x E", "autoMCStats", **where
            )
            writer.constant -= FIXED_GAUSSIAN_NLL
            continue
        delta = math.sqrt(sum((errors[s.name][j] / yields) ** 2 for s in carriers))
        contributors = [s for s in carriers if s.nominal[j] > 0 or errors[s.name][j] > 0]
        if len({_signature(s) for s in contributors}) > 1:
            writer.notes.note(
                what,
                f"its samples ({', '.join(s.name for s in contributors)}) scale with different "
                "factors, so Combine's sqrt(sum (f_k e_k)^2) is no fixed fraction of their yield",
                "autoMCStats",
                **where,
            )
        moved = [
            s.name
            for s in contributors
            for m in s.modifiers
            if m["type"] == "histosys"
            and (m["data"]["hi_data"][j] != s.nominal[j] or m["data"]["lo_data"][j] != s.nominal[j])
        ]
        if moved:
            writer.notes.note(
                what,
                f"a histosys moves the yield of {moved[0]} in the bin, not Combine's error",
                "autoMCStats",
                **where,
            )
        total = sum(s.nominal[j] * factors[s.name] for _, s in columns)
        error = math.sqrt(sum((factors[s.name] * errors[s.name][j]) ** 2 for s in carriers))
        if math.floor(0.5 + total * total / (error * error)) < 1:
            writer.notes.note(
                what,
                "its effective count rounds to 0, where autoMCStats makes per-process parameters",
                "autoMCStats",
                **where,
            )
        if 7.0 * delta >= 1.0:
            writer.remarks.append(
                f"channel {c} bin {j}: Combine's range x in [-7, 7] is gamma in "
                f"[{1 - 7 * delta:.4g}, {1 + 7 * delta:.4g}], not pyhf's"
            )
        writer.link(f"{name}[{offset + j}]", f"prop_bin{c}_bin{j}", 1.0 / delta, -1.0 / delta)
        writer.constant -= math.log(delta)
    writer.stats_lines.append(f"{c} autoMCStats 0 1")
