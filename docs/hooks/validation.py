"""mkdocs hook: the validation page's tables, generated from docs/validation-results.json.

That file holds, for every reference case of ../shared/data, the reference value, likelihub's
value and the tolerance the tests assert (``python docs/validation_results.py`` writes it;
``tests/test_validation_page.py`` checks it agrees with the references).
"""

from __future__ import annotations

import json
from pathlib import Path

MARKER = "<!-- validation-tables -->"
RESULTS = Path(__file__).resolve().parents[1] / "validation-results.json"
TITLES = {
    "histfactory_vs_pyhf":
        "HistFactory against pyhf 0.7.6 (ATLAS likelihoods, `reference/histfactory-pyhf.json`)",
    "simplified_vs_smodels_spey":
        "Simplified likelihoods against SModelS and spey (Asimov global observables nominal)",
}
HEADER = ["| model | quantity | reference | likelihub | difference | test tolerance |",
          "|---|---|---|---|---|---|"]


def _number(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(f"{v:.6g}" for v in value) + "]"
    return f"{value:.7g}"


def _difference(row: dict) -> str:
    reference, ours = row["reference"], row["likelihub"]
    pairs = list(zip(reference, ours, strict=True)) if isinstance(reference, list) else [(reference, ours)]
    if row["kind"] == "rel":
        return f"{max(abs(o - r) / abs(r) for r, o in pairs):.1e} rel."
    if row["kind"] == "at most":
        return f"{max(o - r for r, o in pairs):+.2e}"
    return f"{max(abs(o - r) for r, o in pairs):.1e}"


def tables() -> str:
    """The Markdown tables of every section of the results file."""
    results = json.loads(RESULTS.read_text())
    out = []
    for key, title in TITLES.items():
        out += [f"## {title}", "", *HEADER]
        for row in results[key]:
            tolerance = f"{row['tolerance']:g} {'' if row['kind'] == 'abs' else row['kind']}".strip()
            out.append(f"| {row['model']} | {row['quantity']} | {_number(row['reference'])} | "
                       f"{_number(row['likelihub'])} | {_difference(row)} | {tolerance} |")
        out.append("")
    return "\n".join(out)


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Replace the marker of validation.md with the generated tables."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, tables())
