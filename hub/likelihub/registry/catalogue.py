"""Looking up what plugins offer besides backends: point sources, example models, file formats.

    available_point_sources()                    # {"histfactory.patchset": PointSourceInfo(...), ...}
    get_point_source("simplified.signal_grid")   # the PointSource
    find_point_source("grid.csv")                # the one source that recognises the input
    get_example()                                # the first installed example model
    get_format("combine.datacard")               # a FormatInfo (by its name, or its backend's)
    find_format("card.txt")                      # the one format that recognises the file
    open_model("card.txt", mass=125)             # its model, with the format's options
"""

from __future__ import annotations

import math
from pathlib import Path

import click

from likelihub.errors import InvalidArgumentError, InvalidModelError, UnknownBackendError
from likelihub.registry import plugins
from likelihub.registry.formats import FormatInfo
from likelihub.registry.offers import ExampleInfo, PointSourceInfo

__all__ = ["available_point_sources", "get_point_source", "point_source_metadata",
           "find_point_source", "available_examples", "get_example", "available_formats",
           "get_format", "find_format", "known_formats", "open_model"]


def available_point_sources() -> dict[str, PointSourceInfo]:
    """Installed point sources by name, with their metadata."""
    return dict(sorted(plugins.default_registry().point_sources.items()))


def point_source_metadata(name: str) -> PointSourceInfo:
    """Metadata of the point source ``name``.

    Raises
    ------
    UnknownBackendError
        No such source; the message lists the installed ones.
    """
    sources = plugins.default_registry().point_sources
    if name not in sources:
        raise UnknownBackendError(f"no likelihub point source called {name!r}; installed: "
                                  f"{', '.join(sorted(sources)) or 'none'}")
    return sources[name]


def get_point_source(name: str):
    """The point source ``name`` (a :class:`likelihub.running.points.PointSource`)."""
    return point_source_metadata(name).load()


def find_point_source(source, /, *more, **options):
    """The one installed point source that recognises ``source`` (and ``more``, ``options``).

    Raises
    ------
    InvalidArgumentError
        None or several recognise it (the message lists the installed sources: name one with
        ``kind=``).
    """
    infos = available_point_sources()
    willing = []
    for info in infos.values():
        try:
            candidate = info.load()
            if candidate.recognises(source, *more, **options):
                willing.append(candidate)
        except Exception:  # a broken source (reported by `likelihub plugins`) recognises nothing
            continue
    if len(willing) == 1:
        return willing[0]
    label = source if isinstance(source, str) else type(source).__name__
    if willing:
        names = ", ".join(s.name for s in willing)
        raise InvalidArgumentError(f"{label!r} is recognised by several point sources ({names}): "
                                   "name one with kind= (--kind on the command line)", argument="kind")
    raise InvalidArgumentError(f"no installed point source recognises {label!r} (installed: "
                               f"{', '.join(infos) or 'none'}): name one with kind= (--kind on the "
                               "command line)", argument="kind")


def available_examples() -> dict[str, ExampleInfo]:
    """Installed example models by name."""
    return dict(sorted(plugins.default_registry().examples.items()))


def get_example(name: str | None = None) -> ExampleInfo:
    """The example ``name``, or the first installed one (by name) where ``name`` is None.

    Raises
    ------
    UnknownBackendError
        No example is installed (or none called ``name``); the message says what to install.
    """
    examples = available_examples()
    if name is None and examples:
        return next(iter(examples.values()))
    if name in examples:
        return examples[name]
    if not examples:
        raise UnknownBackendError("no installed plugin offers an example model (pip install "
                                  "'likelihub[all]' installs the bundled plugins)")
    raise UnknownBackendError(f"no example model called {name!r}; installed: {', '.join(examples)}")


def available_formats() -> dict[str, FormatInfo]:
    """Installed file formats by name."""
    return dict(sorted(plugins.default_registry().formats.items()))


def known_formats() -> str:
    """The installed formats, for messages: ``"combine.datacard (Combine datacards), ..."``."""
    formats = available_formats()
    if not formats:
        return "none ('pip install likelihub[all]' installs the bundled plugins)"
    return ", ".join(f"{name} ({info.title})" for name, info in formats.items())


def get_format(name: str) -> FormatInfo:
    """The installed format ``name``, or the one format whose files build the backend ``name``
    (``--format`` and ``--backend`` on the command line take either).

    Raises
    ------
    InvalidArgumentError
        No such format; the message lists the installed ones (and says so where ``name`` is a
        backend no format builds by default: the format's options choose it).
    """
    formats = available_formats()
    if name in formats:
        return formats[name]
    building = [info for info in formats.values() if info.backend == name]
    if len(building) == 1:
        return building[0]
    hint = ""
    if name in plugins.default_registry().backends:
        prefix = name.split(".")[0] + "."
        hosts = [info.name for info in formats.values() if str(info.backend).startswith(prefix)]
        where = (f"name the format with --format {' or '.join(hosts)}; its options (e.g. --model) choose "
                 "the backend" if hosts else "a format's options may choose it")
        hint = (f" ({name!r} is a backend, not the default of a file format: {where}, see "
                "`likelihub cls --help`)")
    raise InvalidArgumentError(f"no file format called {name!r}{hint}; installed: {known_formats()}",
                               argument="format")


def find_format(path: str) -> FormatInfo:
    """The one installed format whose ``detect`` recognises the file ``path``.

    Raises
    ------
    InvalidModelError
        None or several recognise it, or there is no such file: the message names the file and
        lists the installed formats (name one with ``--format``).

    A format registered with ``fallback=True`` (it claims files by their suffix alone) is chosen
    only where no other format recognises the file.
    """
    willing = [info for info in available_formats().values() if info.recognises(path)]
    if len(willing) > 1 and not all(info.fallback for info in willing):  # content wins over suffix
        willing = [info for info in willing if not info.fallback]
    if len(willing) == 1:
        return willing[0]
    if willing:
        names = ", ".join(info.name for info in willing)
        raise InvalidModelError(f"recognised by several file formats ({names}): name one with --format",
                                file=path)
    if path != "-" and not Path(path).exists():
        raise InvalidModelError("no such file", file=path)
    if path != "-" and Path(path).is_dir():
        raise InvalidModelError("is a directory, not a file: name a file in it", file=path)
    raise InvalidModelError(f"not a file of a known format (known: {known_formats()}); name one with "
                            "--format", file=path)


def open_model(path: str, *, format: str | None = None, **options):
    """The model of the file ``path``: read by the format ``format`` (a name as
    :func:`get_format` takes), else by the one that recognises the file (:func:`find_format`),
    with that format's ``options``: keyed by their Python names, as its ``open`` takes them
    (``member``, ``patches``, ``patch_name``, ``signal``), or by their flags, with or without the
    dashes (``--patch``, ``patch-name``); an option given many times on the command line (``--patch``) may
    be one value or a list. What ``likelihub cls FILE --format NAME ...`` reads, for code (the
    components of a combination file: ``likelihub.plugin.open_model``).

    Raises
    ------
    InvalidArgumentError
        ``format`` names no installed format, or an option is not one of the format's (the
        message lists its options).
    InvalidModelError
        No format recognises the file, or the format's ``open`` refuses it.
    """
    info = find_format(path) if format is None else get_format(format)
    known, by_key = info.load_options(), {}
    for option in known:
        for key in (option.name, *(flag.lstrip("-") for flag in (*option.opts, *option.secondary_opts))):
            by_key.setdefault(key, option)
    unknown = sorted(key for key in options if str(key).lstrip("-") not in by_key)
    if unknown:
        names = ", ".join(sorted(option.name for option in known)) or "none"
        raise InvalidArgumentError(f"{', '.join(map(repr, unknown))}: not an option of {info.title} "
                                   f"(the format {info.name!r} takes {names})", argument="options",
                                   file=str(path))
    given = {}
    for key, value in options.items():
        option = by_key[str(key).lstrip("-")]
        if option.name in given:
            raise InvalidArgumentError(f"the option {option.name!r} is given twice", argument="options",
                                       file=str(path))
        given[option.name] = _option_value(option, key, value, path)
    try:
        return info.open_model(path, **given)
    except click.UsageError as error:  # the format's open refuses an option, as it would a flag
        hint = getattr(error, "param_hint", None)
        flag = hint if isinstance(hint, str) else None
        named = next((option.name for option in known if flag in (*option.opts, *option.secondary_opts)),
                     None)
        argument = next((str(key).lstrip("-") for key in options if named is not None
                         and by_key[str(key).lstrip("-")].name == named), (flag or "options").lstrip("-"))
        raise InvalidArgumentError(error.message, argument=argument, file=str(path)) from None


def _option_value(option, key, value, path: str):
    """``value`` of the format's click ``option`` as its flag would give it: converted by the
    option's type (``"x"`` for a number is refused); a list (of names, of numbers) for an option
    of comma-separated values is joined with commas; a non-finite number is refused."""
    argument = str(key).lstrip("-")
    if option.multiple:
        value = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    elif isinstance(value, (list, tuple)):
        plain = all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value)
        if not (option.type is click.STRING and plain):
            raise InvalidArgumentError(f"takes one value, got the list {list(value)!r}", argument=argument,
                                       file=str(path))
        value = ",".join(map(str, value))
    try:
        converted = option.type_cast_value(click.Context(click.Command("open_model")), value)
    except click.BadParameter as error:
        raise InvalidArgumentError(error.message, argument=argument, file=str(path)) from None
    for item in converted if option.multiple else (converted,):
        if isinstance(item, float) and not math.isfinite(item):
            raise InvalidArgumentError(f"must be a finite number, got {item}", argument=argument,
                                       file=str(path))
    return converted
