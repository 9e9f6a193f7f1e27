"""likelihub-combine: CMS Combine text datacards as a likelihub backend (``combine.datacard``).

The card is read as Combine's ``DatacardParser.py`` reads it (:mod:`likelihub_combine.parser`),
its TH1 templates with uproot (:mod:`likelihub_combine.shapes`), and the likelihood built as
``text2workspace.py`` with the default physics model builds it (:mod:`likelihub_combine.build`).
"""

__version__ = "0.1.0"
