"""The ``shape`` lines of a pyhf workspace's histosys modifiers (see :mod:`.from_pyhf`), and the order
of the systematic lines, which sets the range of a parameter that is both lnN and shape."""

from __future__ import annotations

import numpy as np

from .exactness import refuse
from .histograms import Histogram
from .morphs import clipping_bins
from .pyhf_channels import Channel, Sample, setting

__all__ = ["ShapeLines", "combine_name", "TOLERANCE", "FLOOR", "LNN_RANGE", "SHAPE_RANGE"]

#: Relative tolerance of "equal" for template integrals and lo = 1/hi (rounding, not physics).
TOLERANCE = 1e-12
#: Combine's floor of a morphed unit template and its ranges of lnN and shape parameters.
FLOOR, LNN_RANGE, SHAPE_RANGE = 1e-9, 7.0, 4.0


def combine_name(name: str) -> str:
    """The card's name of a parameter (Combine prefixes ``theta`` to a name starting with a digit)."""
    return "theta" + name if name[:1].isdigit() else name


class ShapeLines:
    """Mixed into :class:`~.card_lines.CardWriter` (which has the card, histograms, notes, settings)."""

    def histosys(self, channel: Channel, sample: Sample, column: int, modifiers: list[dict]) -> None:
        c, t = channel.name, sample.nominal
        total, morphs = float(t.sum()), []
        stats = any(m["type"] == "staterror" for m in sample.modifiers)
        for modifier in modifiers:
            name = modifier["name"]
            card_name = combine_name(name)
            where = self.where(c, sample.name, name)
            hi, lo = (np.asarray(modifier["data"][key], float) for key in ("hi_data", "lo_data"))
            if self.codes["histosys"] != "4p":
                self.notes.note(
                    f"histosys {name}",
                    f"interpolation code {self.codes['histosys']} is not Combine's vertical morph (code 4p)",
                    "shape",
                    **where,
                )
            if min(hi.sum(), lo.sum()) <= 0:
                refuse(
                    f"histosys {name}",
                    "a variation's yields sum to zero or less, and Combine normalises them",
                    "Combine",
                    **where,
                )
            if abs(hi.sum() - total) > TOLERANCE * total or abs(lo.sum() - total) > TOLERANCE * total:
                self.notes.note(
                    f"histosys {name}",
                    f"it changes the yield ({lo.sum():g}, {total:g}, "
                    f"{hi.sum():g}): Combine interpolates the normalisation's logarithm "
                    "(logKappaForX), code 4p adds the yields",
                    "shape",
                    **where,
                )
            self.card.set_value(card_name, "shape", column, "1")
            self.histograms[f"{c}/{sample.name}_{card_name}Up"] = Histogram.of(hi)
            self.histograms[f"{c}/{sample.name}_{card_name}Down"] = Histogram.of(lo)
            self.gaussian(name, card_name, self.nuisances.get(card_name, ("shape",))[0])
            self.effective.add(card_name)
            width = self.combine_range(name)
            unit = t / total
            morphs.append((hi / hi.sum() - unit, unit - lo / lo.sum(), -width, width))
        floor = FLOOR / total if stats else FLOOR
        unit = t / total
        sometimes, always = clipping_bins(unit, morphs, floor)
        where = self.where(c, sample.name)
        raised = float(np.sum(floor - unit[always]))  # what the floor adds, relative to the yield
        if raised > TOLERANCE:
            self.notes.note(
                f"the histosys of sample {sample.name}",
                f"{int(always.sum())} bin(s) below 1e-9 of "
                "the yield in the nominal and every variation (empty): Combine floors a morphed "
                "template there, pyhf does not",
                f"shape (adding {raised:.2g} of the yield)",
                **where,
            )
        if sometimes.any():
            self.notes.note(
                f"the histosys of sample {sample.name}",
                f"{int(sometimes.sum())} bin(s) may fall "
                "to Combine's floor (1e-9) within the parameters' ranges, where Combine clips",
                "shape (clipped)",
                **where,
            )

    def combine_range(self, name: str) -> float:
        """Combine's range of a shape parameter: [-4, 4], or [-7, 7] where an lnN line of the name comes
        first (Combine's first line decides); :meth:`order` puts first what best matches pyhf's bounds."""
        if not any(
            m["type"] == "normsys" and m["name"] == name
            for ch in self.channels
            for s in ch.samples
            for m in s.modifiers
        ):
            return SHAPE_RANGE
        low, high = setting(self.settings, name, "histosys")[1]
        half = 0.5 * (high - low)
        return LNN_RANGE if abs(half - LNN_RANGE) < abs(half - SHAPE_RANGE) else SHAPE_RANGE

    def order(self) -> None:
        """The systematic rows: for a name with lnN and shape lines, the one of its range first."""
        rows = self.card.systematics
        pyhf_names = {card_name: name for card_name, (_, name) in self.nuisances.items()}
        first = {}
        for card_name, kind in rows:
            both = (card_name, "lnN") in rows and (card_name, "shape") in rows
            if both:
                wide = self.combine_range(pyhf_names.get(card_name, card_name)) == LNN_RANGE
                kind_first = "lnN" if wide else "shape"
                first.setdefault((card_name, kind_first), len(first))
            first.setdefault((card_name, kind), len(first))
        self.card.systematics = {key: rows[key] for key in sorted(rows, key=first.__getitem__)}
        kinds = {}
        for card_name, kind in self.card.systematics:
            kinds.setdefault(card_name, kind)
        changed = [
            card_name
            for card_name, (_, name) in self.nuisances.items()
            if setting(self.settings, name, "normsys")[1]
            != ((-SHAPE_RANGE, SHAPE_RANGE) if kinds.get(card_name) == "shape" else (-LNN_RANGE, LNN_RANGE))
        ]
        if changed:
            self.remarks.append(
                f"the ranges of {len(changed)} nuisance parameter(s) are Combine's ([-7, 7] "
                "for lnN, [-4, 4] for shape), not the measurement's"
            )
