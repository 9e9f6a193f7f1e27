"""The datacard lines of a pyhf workspace's channels, samples and modifiers (see :mod:`.from_pyhf`
for what maps to what, and why it is exact)."""

from __future__ import annotations

import re

from .card_shapes import TOLERANCE, ShapeLines, combine_name
from .card_text import CardText, check_name, number
from .exactness import FIXED_POISSON_NLL, Approximations, ParameterLink, refuse
from .histograms import Histogram
from .pyhf_channels import Channel, Sample, setting
from .staterror_lines import staterror_lines

__all__ = ["CardWriter"]


class CardWriter(ShapeLines):
    """Builds the card of ``channels`` (:func:`.pyhf_channels.read_workspace`)."""

    def __init__(
        self,
        channels: list[Channel],
        poi: str,
        settings: dict,
        codes: dict,
        notes: Approximations,
        source: str | None,
        shapes_file: str,
    ):
        self.channels, self.poi, self.settings, self.codes = channels, poi, settings, codes
        self.notes, self.source, self.shapes_file = notes, source, shapes_file
        self.card, self.histograms, self.links = CardText(), {}, []
        self.constant, self.remarks = 0.0, []
        self.rate_lines, self.param_lines, self.stats_lines, self.frozen = [], [], [], []
        self.linked: set[str] = set()
        self.nuisances: dict[str, tuple[str, str]] = {}  # card name -> ("lnN" or "shape", pyhf name)
        self.effective: set[str] = set()

    def where(self, channel=None, sample=None, modifier=None) -> dict:
        return {"file": self.source, "channel": channel, "sample": sample, "modifier": modifier}

    def link(self, source: str, target: str, scale: float = 1.0, offset: float = 0.0) -> None:
        if source not in self.linked:
            self.linked.add(source)
            self.links.append(ParameterLink(source, target, scale, offset))

    def convert(self):
        self.classify()
        for channel in self.channels:
            self.channel(channel)
        self.orphans()
        self.order()
        low, high = setting(self.settings, self.poi, "normfactor")[1]
        self.link(self.poi, "r")
        self.card.tail = (
            self.rate_lines
            + self.param_lines
            + self.stats_lines
            + [f"nuisance edit freeze {re.escape(name)}" for name in self.frozen]
        )
        return self.card.render(), self.histograms, self.links, self.constant, (low, high), self.remarks

    # -- processes -----------------------------------------------------------------------------
    def classify(self) -> None:
        self.signal: dict[str, bool] = {}
        for channel in self.channels:
            check_name(channel.name, "channel", **self.where(channel.name))
            for sample in channel.samples:
                where = self.where(channel.name, sample.name)
                check_name(sample.name, "sample", **where)
                scaled = sum(m["type"] == "normfactor" and m["name"] == self.poi for m in sample.modifiers)
                if any(m["name"] == self.poi and m["type"] != "normfactor" for m in sample.modifiers):
                    refuse(f"the POI {self.poi}", "it is not a normfactor", "Combine", **where)
                if scaled > 1:
                    refuse(f"sample {sample.name}", "the POI scales it twice (r^2)", "Combine", **where)
                if self.signal.setdefault(sample.name, bool(scaled)) != bool(scaled):
                    refuse(
                        f"sample {sample.name}",
                        "the POI scales it in some channels only, and a Combine "
                        "process is a signal everywhere or nowhere",
                        "Combine",
                        **where,
                    )
        if not any(self.signal.values()):
            refuse(
                f"the POI {self.poi}",
                "it scales no sample (a card needs a signal process)",
                "Combine",
                file=self.source,
            )
        signals = [name for name, flag in self.signal.items() if flag]
        backgrounds = [name for name, flag in self.signal.items() if not flag]
        self.index = {name: -i for i, name in enumerate(signals)}
        self.index.update({name: i + 1 for i, name in enumerate(backgrounds)})

    def channel(self, channel: Channel) -> None:
        c, n = channel.name, channel.observed.size
        types = {m["type"] for s in channel.samples for m in s.modifiers}
        shape = n > 1 or bool(types & {"histosys", "staterror"})
        if not any(not self.signal[s.name] and s.nominal.sum() != 0 for s in channel.samples):
            refuse(
                f"channel {c}",
                "it has no background with a yield, which Combine requires",
                "Combine",
                **self.where(c),
            )
        if shape:
            self.card.shapes.append(f"shapes * {c} {self.shapes_file} {c}/$PROCESS {c}/$PROCESS_$SYSTEMATIC")
            self.card.channels.append((c, "-1"))
            self.histograms[f"{c}/data_obs"] = Histogram.of(channel.observed)
        else:
            self.card.shapes.append(f"shapes * {c} FAKE")
            self.card.channels.append((c, number(channel.observed[0])))
        columns = []
        for sample in channel.samples:
            total = float(sample.nominal.sum())
            if total < 0:
                refuse(
                    f"sample {sample.name}",
                    f"its yields sum to {total:g} < 0, not a Combine rate",
                    "Combine",
                    **self.where(c, sample.name),
                )
            rate = (number(sample.nominal[0]) if not shape else "-1") if total > 0 else "0"
            column = self.card.add_column(c, sample.name, self.index[sample.name], rate)
            if shape:
                self.histograms[f"{c}/{sample.name}"] = Histogram.of(sample.nominal)
            if total > 0:
                self.modifiers(channel, sample, column, shape)
                columns.append((column, sample))
        if any(m["type"] == "staterror" for _, s in columns for m in s.modifiers):
            staterror_lines(self, channel, columns)

    # -- modifiers -----------------------------------------------------------------------------
    def modifiers(self, channel: Channel, sample: Sample, column: int, shape: bool) -> None:
        c = channel.name
        histosys = []
        shapesys = [m for m in sample.modifiers if m["type"] == "shapesys"]
        for modifier in sample.modifiers:
            kind, name = modifier["type"], modifier["name"]
            where = self.where(c, sample.name, name)
            if name == self.poi:
                continue
            card_name = check_name(combine_name(name), "parameter", **where)
            if card_name == "r":
                refuse(f"parameter {name}", "Combine's POI is called r", "Combine", **where)
            if kind == "normfactor":
                self.rate_param(c, sample.name, name, card_name)
            elif kind == "lumi":
                self.lumi(c, sample.name, name, card_name)
            elif kind == "normsys":
                self.normsys(column, modifier, card_name, where)
            elif kind == "histosys":
                histosys.append(modifier)
            elif kind == "shapefactor":
                refuse(
                    f"shapefactor {name}", "a free factor per bin has no datacard line", "Combine", **where
                )
        if len(shapesys) > 1:
            refuse(
                f"sample {sample.name}",
                "it has several shapesys, and a Combine process one gmN",
                "Combine",
                **self.where(c, sample.name),
            )
        for modifier in shapesys:
            self.gmn(channel, sample, column, modifier)
        if histosys:
            self.histosys(channel, sample, column, histosys)

    def rate_param(self, c: str, process: str, name: str, card_name: str) -> None:
        init, (low, high), fixed = setting(self.settings, name, "normfactor")
        self.rate_lines.append(
            f"{card_name} rateParam {c} {process} {number(init)} [{number(low)},{number(high)}]"
        )
        self.link(name, card_name)
        if fixed and card_name not in self.frozen:
            self.frozen.append(card_name)

    def lumi(self, c: str, process: str, name: str, card_name: str) -> None:
        entry = self.settings.get(name, {})
        if "auxdata" not in entry or "sigmas" not in entry:
            refuse(
                f"lumi {name}",
                "the measurement sets no auxdata and sigmas for it (pyhf requires them)",
                "Combine",
                **self.where(c, process, name),
            )
        aux, sigma = float(entry["auxdata"][0]), float(entry["sigmas"][0])
        init, (low, high), fixed = setting(self.settings, name, "lumi")
        self.rate_lines.append(
            f"{card_name} rateParam {c} {process} {number(aux)} [{number(low)},{number(high)}]"
        )
        if name not in self.linked:
            self.param_lines.append(
                f"{card_name} param {number(aux)} {number(sigma)} [{number(low)},{number(high)}]"
            )
            if fixed:
                if init != aux:
                    self.notes.note(
                        f"lumi {name}",
                        f"the measurement fixes it at {init:g}, and a card at its mean {aux:g}",
                        f"fixed at {aux:g}",
                        **self.where(modifier=name),
                    )
                self.frozen.append(card_name)
        self.link(name, card_name)

    def gaussian(self, name: str, card_name: str, kind: str) -> None:
        self.nuisances.setdefault(card_name, (kind, name))
        entry = self.settings.get(name, {})
        if "auxdata" in entry or "sigmas" in entry:
            refuse(
                f"{kind} {name}",
                "the measurement sets its auxdata or sigmas, and a Combine nuisance is a "
                "unit Gaussian around 0",
                "Combine",
                **self.where(modifier=name),
            )
        init, _, fixed = setting(self.settings, name, "normsys")
        if fixed and card_name not in self.frozen:
            if init != 0:
                self.notes.note(
                    f"{kind} {name}",
                    f"the measurement fixes it at {init:g}, and a card at 0",
                    "fixed at 0",
                    **self.where(modifier=name),
                )
            self.frozen.append(card_name)
        self.link(name, card_name)

    def normsys(self, column: int, modifier: dict, card_name: str, where: dict) -> None:
        hi, lo = float(modifier["data"]["hi"]), float(modifier["data"]["lo"])
        name = modifier["name"]
        symmetric = abs(hi * lo - 1.0) <= TOLERANCE
        if self.codes["normsys"] != "1":
            self.notes.note(
                f"normsys {name}",
                f"under interpolation code {self.codes['normsys']} its factor "
                "is a polynomial inside |alpha| < 1; Combine's lnN is code 1 (kappa^theta)",
                "lnN (equal for |alpha| >= 1)",
                **where,
            )
        elif not symmetric:
            self.notes.note(
                f"normsys {name}",
                f"hi {hi:g} and lo {lo:g} are not reciprocal: Combine's "
                "asymmetric lnN interpolates log kappa smoothly inside |theta| < 0.5, code 1 does not",
                "lnN lo/hi (equal for |alpha| >= 0.5)",
                **where,
            )
        value = number(hi) if symmetric and hi != 1.0 else f"{number(lo)}/{number(hi)}"
        self.card.set_value(card_name, "lnN", column, value)
        self.gaussian(name, card_name, "lnN")
        self.effective.add(card_name)

    def gmn(self, channel: Channel, sample: Sample, column: int, modifier: dict) -> None:
        name, c = modifier["name"], channel.name
        where = self.where(c, sample.name, name)
        if channel.observed.size != 1:
            refuse(
                f"shapesys {name}",
                "it has a parameter per bin; Combine's gmN is one count",
                "Combine",
                **where,
            )
        sigma, nominal = float(modifier["data"][0]), float(sample.nominal[0])
        if sigma <= 0:
            self.notes.note(f"shapesys {name}", "no uncertainty (pyhf fixes it)", "left out", **where)
            self.constant -= FIXED_POISSON_NLL
            return
        tau = (nominal / sigma) ** 2
        count = round(tau)
        if count < 1:
            refuse(f"shapesys {name}", f"tau = (nominal / uncertainty)^2 = {tau:g} < 0.5", "Combine", **where)
        if abs(tau - count) > 1e-9 * tau:
            self.notes.note(
                f"shapesys {name}",
                f"tau = {tau:.10g} is not an integer (a gmN count)",
                f"gmN {count}",
                **where,
            )
        card_name = combine_name(name)
        self.card.set_value(card_name, f"gmN {count}", column, number(nominal / count))
        self.link(f"{name}[0]", card_name, float(count))
        self.effective.add(card_name)

    def orphans(self) -> None:
        """Gaussian nuisances whose every sample has no yield: a ``param`` line keeps them."""
        for channel in self.channels:
            for sample in channel.samples:
                for modifier in sample.modifiers:
                    name = modifier["name"]
                    card_name = combine_name(name)
                    if modifier["type"] in ("normsys", "histosys") and card_name not in self.effective:
                        low, high = setting(self.settings, name, modifier["type"])[1]
                        self.param_lines.append(f"{card_name} param 0 1 [{number(low)},{number(high)}]")
                        self.effective.add(card_name)
                        self.link(name, card_name)
