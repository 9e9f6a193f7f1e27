"""Converting Combine text datacards to pyhf JSON workspaces and back, where the likelihood is the same.

    from likelihub_combine.convert import to_pyhf, from_pyhf
    workspace = to_pyhf("datacard.txt", mass=125)          # a pyhf workspace (dict)
    card_text, histograms = from_pyhf("workspace.json")    # a datacard and its TH1 templates

Only what maps exactly is converted (:mod:`.to_pyhf`, :mod:`.from_pyhf` list what does); anything
else raises :class:`~likelihub.errors.InvalidModelError` naming the line, channel, process and
systematic, unless ``approximate=True`` (then a :class:`ConversionWarning` lists what was
approximated). The pyhf model must use the interpolation codes :data:`INTERPOLATION_CODES`
(normsys code 1, histosys code 4p), which pyhf's JSON cannot record.
"""

from .exactness import ConversionWarning, ParameterLink
from .from_pyhf import CardConversion, convert_workspace, from_pyhf
from .histograms import Histogram, write_histograms
from .to_pyhf import INTERPOLATION_CODES, MEASUREMENT_NAME, PyhfConversion, convert_card, to_pyhf

__all__ = [
    "to_pyhf",
    "convert_card",
    "PyhfConversion",
    "from_pyhf",
    "convert_workspace",
    "CardConversion",
    "Histogram",
    "write_histograms",
    "ConversionWarning",
    "ParameterLink",
    "INTERPOLATION_CODES",
    "MEASUREMENT_NAME",
]
