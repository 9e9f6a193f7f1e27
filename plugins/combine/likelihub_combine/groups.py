"""Groups of nuisance parameters: a card's ``name group = a b c`` and ``name group += d`` lines,
as Combine's ``DatacardParser.py`` and ``ModelTools.doNuisancesGroups`` read them, plus the group
``autoMCStats`` that text2workspace.py makes of the autoMCStats parameters."""

from __future__ import annotations

from likelihub.errors import InvalidModelError

from .card import Datacard

__all__ = ["card_groups", "model_groups"]


def card_groups(card: Datacard) -> dict[str, list[str]]:
    """Group name -> members, in the order of the card's lines.

    Raises
    ------
    InvalidModelError
        ``=`` on a group defined above (Combine will not redefine a group), or ``+=`` on a group
        not yet defined.
    """
    groups: dict[str, list[str]] = {}
    for group in card.groups:
        where = card.where(group.line)
        if group.extend and group.name not in groups:
            raise InvalidModelError("'+=' on a group not defined above", file=where, modifier=group.name)
        if not group.extend and group.name in groups:
            raise InvalidModelError(
                "the group is defined twice (use '+=' to add to it)", file=where, modifier=group.name
            )
        members = groups.setdefault(group.name, [])
        members += [m for m in group.members if m not in members]
    return groups


def model_groups(card: Datacard, nuisances: list[str], mc_stats: list[str]) -> dict[str, tuple[str, ...]]:
    """The groups of the built model: the card's, each member one of ``nuisances`` (the model's
    parameters other than the POIs), and ``autoMCStats`` holding ``mc_stats``.

    Raises
    ------
    InvalidModelError
        A group naming a parameter the model does not have (a misspelt name, or a systematic
        line without any effect, which the card leaves out), naming the group's line.
    """
    known = set(nuisances)
    result = {}
    for name, members in card_groups(card).items():
        missing = [m for m in members if m not in known]
        if missing:
            line = next(g.line for g in card.groups if g.name == name and missing[0] in g.members)
            raise InvalidModelError(
                f"the group names {missing}, not parameters of the model",
                file=card.where(line),
                modifier=name,
            )
        result[name] = tuple(members)
    if mc_stats and "autoMCStats" not in result:
        result["autoMCStats"] = tuple(mc_stats)
    return result
