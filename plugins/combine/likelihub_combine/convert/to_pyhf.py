"""A Combine text datacard as a pyhf JSON workspace, where one is the other's likelihood exactly.

The card is compiled as the ``combine.datacard`` backend compiles it
(:func:`likelihub_combine.backend.datacard`) and each piece written as the pyhf modifier that is
the same function of the parameters:

=====================================  ==========================================================
Combine                                pyhf (interpolation codes: normsys 1, histosys 4p)
=====================================  ==========================================================
process scaled by ``r`` (index <= 0)   normfactor ``r``, the POI (bounds: ``r_range``)
``lnN kappa`` (or ``1/kappa / kappa``) normsys hi = kappa, lo = 1/kappa: code 1 is kappa^theta
``shape`` (scale 1, no clipping)       histosys of the unit templates times the rate: code 4p is
                                       Combine's vertical morph (:mod:`.morphs`); its normalisation
                                       effect a normsys, exact only where kappa_down = 1/kappa_up
``rateParam`` with a value             normfactor (its range; init its value)
``gmN N`` (one column, one bin)        shapesys with tau = N: gamma = theta / N
``param`` on a nuisance (symmetric)    the measurement's auxdata (mean) and sigmas (sigma)
autoMCStats                            staterror / shapesys where exact (:mod:`.mcstats_map`)
``nuisance edit freeze``               the measurement's ``fixed``
=====================================  ==========================================================

Not exact, refused unless ``approximate=True`` (then converted as said and listed in a
:class:`~.exactness.ConversionWarning`): asymmetric lnN (code 1 with kappa_up, kappa_down: equal for
|theta| >= 0.5, not the smooth ``logKappaForX`` inside), the asymmetric normalisation effect of
``shape`` lines, ``shapeN``, a shape scale differing from the process' smallest, a morph that
Combine's 1e-9 floor may clip, a rateParam without a range (pyhf's bounds are finite), an
asymmetric ``param``, and autoMCStats bins where the processes scale differently. Refused always:
formula rateParams and ``extArg``, ``lnU``, gmN on several columns or a shape channel, a
``param`` constraining a rateParam.

pyhf's JSON cannot say which interpolation codes a model uses: the measurement is named after
them (:data:`MEASUREMENT_NAME`), and a pyhf model must be built with
``modifier_settings={"normsys": {"interpcode": "code1"}, "histosys": {"interpcode": "code4p"}}``
(likelihub's ``histfactory`` backend: ``interpolation_codes=INTERPOLATION_CODES``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..backend import datacard
from ..card import Datacard
from ..parser import read_datacard
from .exactness import Approximations, ParameterLink, map_values, refuse
from .pyhf_writer import MEASUREMENT_NAME, PyhfWriter

__all__ = ["INTERPOLATION_CODES", "MEASUREMENT_NAME", "PyhfConversion", "to_pyhf", "convert_card"]

#: The interpolation codes under which the pyhf workspace is the card's likelihood.
INTERPOLATION_CODES = {"normsys": "1", "histosys": "4p"}


@dataclass
class PyhfConversion:
    """A card converted to pyhf JSON.

    Attributes
    ----------
    workspace
        The pyhf workspace (a JSON-ready dict).
    links
        How each Combine parameter appears in the workspace (:class:`~.exactness.ParameterLink`).
    constant
        -log L(pyhf) - (-log L(Combine)) at linked points (the Gaussian normalisations of
        rescaled parameters, and the constraints of the components pyhf fixes).
    interpolation_codes
        The codes the pyhf model must use.
    approximations
        What was approximated (empty for an exact conversion).
    """

    workspace: dict
    links: list[ParameterLink] = field(default_factory=list)
    constant: float = 0.0
    interpolation_codes: dict = field(default_factory=lambda: dict(INTERPOLATION_CODES))
    approximations: list[str] = field(default_factory=list)

    def pyhf_values(self, values) -> dict[str, float]:
        """The workspace's parameter values (``name`` or ``name[i]``) at Combine's ``values``."""
        return map_values(self.links, values)


def to_pyhf(
    card: str | Path | Datacard,
    *,
    mass: str | float | None = None,
    approximate: bool = False,
    r_range: tuple[float, float] = (0.0, 20.0),
) -> dict:
    """The pyhf workspace (a dict) whose likelihood is the card's (:func:`convert_card`)."""
    return convert_card(card, mass=mass, approximate=approximate, r_range=r_range).workspace


def convert_card(
    card: str | Path | Datacard,
    *,
    mass: str | float | None = None,
    approximate: bool = False,
    r_range: tuple[float, float] = (0.0, 20.0),
) -> PyhfConversion:
    """Convert a Combine text datacard to a pyhf workspace with the same likelihood.

    Parameters
    ----------
    card
        The datacard's file (its templates are read as the ``combine.datacard`` backend reads them),
        or a parsed :class:`~likelihub_combine.card.Datacard`.
    mass
        The value of ``$MASS`` in ``shapes`` lines.
    approximate
        Convert constructs without an exact pyhf equivalent approximately, with a
        :class:`~.exactness.ConversionWarning` listing them, instead of raising.
    r_range
        The range of the POI ``r`` (Combine's ``--rMin``, ``--rMax``), written as its bounds.

    Raises
    ------
    InvalidModelError
        A construct without an exact pyhf equivalent (``approximate=False``) or without any,
        naming the file and line, channel, process and systematic.
    """
    parsed = card if isinstance(card, Datacard) else read_datacard(card)
    for item in parsed.rate_params:
        if item.formula is not None:
            refuse(
                f"rateParam {item.name} = {item.formula}",
                "pyhf has no formula modifiers",
                "pyhf",
                file=parsed.where(item.line),
                modifier=item.name,
            )
    for ext in parsed.ext_args:
        refuse(
            f"extArg {ext.name}",
            "pyhf has no parameters outside modifiers",
            "pyhf",
            file=parsed.where(ext.line),
            modifier=ext.name,
        )
    for systematic in parsed.systematics:
        if systematic.kind == "lnU":
            refuse(
                f"lnU {systematic.name}",
                "pyhf has no unconstrained log-normal (a flat prior)",
                "pyhf",
                file=parsed.where(systematic.line),
                modifier=systematic.name,
            )
    model = datacard(parsed, mass=mass, r_range=r_range)
    notes = Approximations(approximate, "pyhf")
    workspace, links, constant = PyhfWriter(parsed, model.built, notes).convert()
    conversion = PyhfConversion(workspace, links, constant)
    conversion.approximations = list(notes.items)
    notes.warn()
    return conversion
