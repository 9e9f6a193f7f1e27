"""A pyhf JSON workspace as a Combine text datacard (and its TH1 templates), where exact.

The POI's normfactor marks the signal processes (scaled by ``r``). Each modifier is written as the
card's line that is the same function of the parameters (:mod:`.to_pyhf` argues each):

==================================================  ============================================
pyhf                                                Combine
==================================================  ============================================
normfactor (not the POI)                            ``rateParam channel process init [low,high]``
lumi (auxdata a, sigmas s)                          ``rateParam`` and ``param a s [low,high]``
normsys under code 1 with lo = 1/hi                 ``lnN hi``
histosys under code 4p with sum(hi) = sum(lo) =     ``shape`` (templates in the ROOT file)
sum(nom), never near Combine's 1e-9 floor
staterror, where the samples share their factors    ``autoMCStats 0 1`` (Barlow-Beeston-lite,
and no morph moves them in the bin                  x = (gamma - 1) / delta)
shapesys in a one-bin channel with integer tau      ``gmN tau`` (theta = tau gamma)
the measurement's ``fixed``                         ``nuisance edit freeze``
==================================================  ============================================

Not exact, refused unless ``approximate=True``: normsys under code 4 (pyhf's default: its
polynomial inside |alpha| < 1 is no Combine lnN), asymmetric normsys (Combine's ``lo/hi`` lnN is
smooth in |theta| < 0.5), histosys under codes 0 and 2 or with a normalisation effect (Combine
interpolates its log), morphed templates with empty bins or that may fall to the floor,
staterror bins whose samples scale differently or are morphed, shapesys with a non-integer tau.
Refused always: shapefactor, shapesys over several bins, auxdata or sigmas of a normsys or
histosys.

What a card cannot set is listed in :attr:`CardConversion.notes`: the POI's range (pass it as
``r_range`` or ``--rMin/--rMax``) and the nuisance parameters' ranges (Combine's: [-7, 7] for lnN,
[-4, 4] for shape, 7 sigma for autoMCStats; pyhf's default [-5, 5]).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from likelihub.errors import InvalidArgumentError, InvalidModelError

from .card_lines import CardWriter
from .card_text import number
from .exactness import Approximations, ParameterLink, map_values
from .histograms import Histogram
from .pyhf_channels import read_workspace

__all__ = ["CardConversion", "from_pyhf", "convert_workspace"]

#: pyhf's default interpolation codes.
PYHF_CODES = {"normsys": "4", "histosys": "4p"}
#: The codes pyhf (and likelihub's histfactory backend) know.
KNOWN_CODES = {"normsys": ("1", "4"), "histosys": ("0", "2", "4p")}


@dataclass
class CardConversion:
    """A workspace converted to a datacard.

    Attributes
    ----------
    card_text
        The datacard.
    histograms
        ``channel/name`` -> :class:`~.histograms.Histogram`, for the ROOT file the card's ``shapes``
        lines name (empty for a counting card).
    links
        How each pyhf parameter (``name`` or ``name[i]``) appears in the card.
    constant
        -log L(card) - (-log L(pyhf)) at linked points.
    r_range
        The POI's bounds, to pass as the card's ``r_range`` (``--rMin``, ``--rMax``).
    approximations, notes
        What was approximated; what the card cannot say (parameter ranges).
    """

    card_text: str
    histograms: dict[str, Histogram]
    links: list[ParameterLink]
    constant: float
    r_range: tuple[float, float]
    approximations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def combine_values(self, values) -> dict[str, float]:
        """The card's parameter values at the workspace's ``values`` (``name`` or ``name[i]``)."""
        return map_values(self.links, values)


def from_pyhf(
    workspace: Mapping | str | Path,
    *,
    measurement: str | None = None,
    interpolation_codes: Mapping[str, str] | None = None,
    approximate: bool = False,
    shapes_file: str = "shapes.root",
) -> tuple[str, dict[str, Histogram]]:
    """The datacard text and its histograms (see :func:`convert_workspace`)."""
    conversion = convert_workspace(
        workspace,
        measurement=measurement,
        interpolation_codes=interpolation_codes,
        approximate=approximate,
        shapes_file=shapes_file,
    )
    return conversion.card_text, conversion.histograms


def convert_workspace(
    workspace: Mapping | str | Path,
    *,
    measurement: str | None = None,
    interpolation_codes: Mapping[str, str] | None = None,
    approximate: bool = False,
    shapes_file: str = "shapes.root",
) -> CardConversion:
    """Convert a pyhf workspace to a Combine datacard with the same likelihood.

    Parameters
    ----------
    workspace
        The workspace: a dict or a JSON file.
    measurement
        The measurement's name (the first by default).
    interpolation_codes
        The codes the workspace's model uses (pyhf's defaults: normsys 4, histosys 4p); Combine's
        lnN and shape lines are codes 1 and 4p.
    approximate
        Convert constructs without an exact Combine equivalent approximately, with a
        :class:`~.exactness.ConversionWarning` listing them, instead of raising.
    shapes_file
        The ROOT file the card's ``shapes`` lines name (relative to the card's folder).

    Raises
    ------
    InvalidModelError
        A malformed workspace, or a construct without an (exact) Combine equivalent, naming the
        file, channel, sample and modifier.
    """
    spec, source = _load(workspace)
    codes = dict(PYHF_CODES)
    for key, value in (interpolation_codes or {}).items():
        if key not in KNOWN_CODES or str(value).removeprefix("code") not in KNOWN_CODES[key]:
            raise InvalidArgumentError(
                f"{key!r}: {value!r} is not an interpolation code (normsys: 1, 4; histosys: 0, 2, 4p)",
                argument="interpolation_codes",
            )
        codes[key] = str(value).removeprefix("code")
    channels, poi, settings, name = read_workspace(spec, source, measurement)
    notes = Approximations(approximate, "Combine")
    text, histograms, links, constant, r_range, remarks = CardWriter(
        channels, poi, settings, codes, notes, source, shapes_file
    ).convert()
    conversion = CardConversion(text, histograms, links, constant, r_range, list(notes.items), remarks)
    header = [
        f"converted by likelihub from the pyhf workspace {source or '(a dict)'}, measurement {name!r}",
        f"the POI {poi!r} is Combine's r: give its range [{number(conversion.r_range[0])}, "
        f"{number(conversion.r_range[1])}] to combine (--rMin, --rMax)",
    ]
    if notes.items:
        header.append(f"APPROXIMATE: {len(notes.items)} construct(s) have no exact Combine equivalent")
    else:
        header.append("the likelihood is the workspace's under interpolation codes normsys 1, histosys 4p")
    header += conversion.notes
    conversion.card_text = "".join(f"# {line}\n" for line in header) + conversion.card_text
    notes.warn()
    return conversion


def _load(workspace) -> tuple[dict, str | None]:
    if isinstance(workspace, Mapping):
        return dict(workspace), None
    path = Path(workspace)
    try:
        return json.loads(path.read_text()), str(path)
    except OSError as error:
        raise InvalidModelError(f"cannot read the workspace: {error.strerror}", file=str(path)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidModelError(f"not a JSON workspace: {error}", file=str(path)) from None
