"""Commands on a FILE of any installed format (``likelihub cls|limit|fit|inspect FILE``).

Plugins register file formats through the hook ``likelihub_register_formats``
(:mod:`likelihub.registry.formats`). A :class:`FormatCommand` offers the options of every format,
each one's help saying which files take it (``--member`` for HistFactory workspaces, ``--mass``
for Combine datacards); :func:`chosen_format` finds FILE's format (the one named by ``--format``,
else the one that recognises the file) and refuses, before any work, an option of another format
given on the command line::

    Error: --member applies to HistFactory workspaces, not to Combine datacards (card.txt)
"""

from __future__ import annotations

import contextlib
import copy
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import click
from click.core import ParameterSource

from likelihub.cli.options import one_line
from likelihub.errors import InvalidArgumentError, InvalidModelError, PluginWarning
from likelihub.registry.formats import FormatInfo

__all__ = ["FormatCommand", "file_argument", "chosen_format", "open_file", "readable_file"]


class FormatCommand(click.Command):
    """A click command that adds, on first use, the options of every installed file format
    (:meth:`FormatInfo.load_options`), their help naming the formats that take them, and
    remembers which format offered which.

    An option two formats offer with the same name and flags is one option of both; one whose
    name or flags are the command's own, or another format's for something else, is left out
    with a :class:`~likelihub.errors.PluginWarning`.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._own = list(self.params)
        self._format_help = {p.name: p.help or "" for p in self._own if p.name == "format_name"}
        self._registry = None
        #: For each format, the names of its options (as click passes them to the callback).
        self.options_of_format: dict[str, set[str]] = {}
        #: For each format option, the formats that take it.
        self.formats_of_option: dict[str, list[FormatInfo]] = {}

    def _load_format_options(self) -> None:
        from likelihub.registry import plugins

        registry = plugins.default_registry()
        if registry is self._registry:
            return
        params = list(self._own)
        by_name = {p.name: p for p in params}
        flags = {flag for p in params for flag in (*p.opts, *p.secondary_opts)}
        self.options_of_format, self.formats_of_option = {}, {}
        for name, info in sorted(registry.formats.items()):
            try:
                options = info.load_options()
            except Exception as error:  # a broken format (listed by `likelihub plugins`)
                warnings.warn(f"format {name!r} offers no options: {one_line(error)}", PluginWarning,
                              stacklevel=2)
                continue
            own = set()
            for option in options:
                taken = by_name.get(option.name)
                option_flags = {*option.opts, *option.secondary_opts}
                if taken is None and not option_flags & flags:
                    taken = by_name[option.name] = copy.copy(option)
                    params.append(taken)
                    flags |= option_flags
                    self.formats_of_option[option.name] = []
                elif option.name not in self.formats_of_option or \
                        option_flags != {*taken.opts, *taken.secondary_opts}:
                    warnings.warn(f"the option {'/'.join(option.opts)} of the format {name!r} (plugin "
                                  f"{info.plugin!r}) clashes with an option of the command "
                                  f"{self.name!r}; it is not offered", PluginWarning, stacklevel=2)
                    continue
                self.formats_of_option[option.name].append(info)
                own.add(option.name)
            self.options_of_format[name] = own
        for option_name, infos in self.formats_of_option.items():
            option = by_name[option_name]
            option.help = f"{option.help or ''} [{', '.join(i.title for i in infos)}]".strip()
        installed = ", ".join(sorted(registry.formats)) or "none"
        for param in self._own:
            if param.name in self._format_help:  # --format lists the installed formats
                param.help = f"{self._format_help[param.name]} Installed: {installed}."
        self.params = params
        self._registry = registry

    def get_params(self, ctx: click.Context) -> list:
        self._load_format_options()
        return super().get_params(ctx)


def file_argument(function):
    """FILE (default ``-``, standard input) and ``--format NAME`` (or ``--backend NAME``: the name
    of a format, or of the backend a format builds)."""
    function = click.option(
        "--format", "--backend", "format_name", multiple=True, metavar="NAME", callback=_one_format,
        help="The format of FILE, or the backend its files build (`likelihub plugins` lists them); "
             "by default, the one that recognises it.")(function)
    return click.argument("file", default="-")(function)


def _one_format(ctx: click.Context, param: click.Parameter, values: tuple) -> str | None:
    """The one format ``--format``/``--backend`` name (given more than once: the same format)."""
    names = list(dict.fromkeys(values))
    if len(names) > 1 and len({_format_of(name) for name in names}) > 1:
        raise click.UsageError(f"--format/--backend given with different values ({', '.join(names)}): "
                               "name one format (or the backend its files build)", ctx=ctx)
    return names[0] if names else None


def _format_of(name: str) -> str:
    """The format ``name`` names (a format's or its backend's name), else ``name`` itself."""
    from likelihub.registry.catalogue import get_format

    try:
        return get_format(name).name
    except InvalidArgumentError:
        return name


def _flag(option: click.Option) -> str:
    return max(option.opts, key=len)


def _given(ctx: click.Context, name: str) -> bool:
    return ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT,
                                                  ParameterSource.DEFAULT_MAP)


def chosen_format(ctx: click.Context, path: str, format_name: str | None) -> tuple[FormatInfo, dict]:
    """FILE's format (``--format``, else the one that recognises ``path``) and the values of its
    options (defaults included).

    Raises
    ------
    click.UsageError
        An option of another format was given, or ``--format`` names no installed format.
    likelihub.errors.InvalidModelError
        No format (or several) recognises the file, or there is no such file.
    """
    from likelihub.registry.catalogue import find_format, get_format

    command = ctx.command
    if format_name is not None:
        try:
            info = get_format(format_name)
        except InvalidArgumentError as error:
            raise click.BadParameter(error.reason, ctx=ctx, param_hint="--format/--backend") from None
    else:
        info = find_format(path)
    own = command.options_of_format.get(info.name, set())
    foreign = [p for p in command.params if p.name in command.formats_of_option and p.name not in own
               and _given(ctx, p.name)]
    if foreign:
        reasons = "; ".join(f"{_flag(p)} applies to "
                            f"{' and '.join(i.title for i in command.formats_of_option[p.name])}"
                            for p in foreign)
        raise click.UsageError(f"{reasons}, not to {info.title} ({path})", ctx=ctx)
    return info, {name: ctx.params[name] for name in sorted(own)}


@contextlib.contextmanager
def readable_file(path: str) -> Iterator[str]:
    """The path to read FILE from: itself, or for ``-`` (standard input) a temporary file holding
    what standard input gave (read once), so that its format is recognised by content as a file's;
    errors raised inside the block name it "standard input"."""
    if path != "-":
        yield path
        return
    stream = getattr(sys.stdin, "buffer", None)
    content = stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="likelihub-stdin-") as folder:
        temporary = Path(folder) / "standard-input"
        temporary.write_bytes(content)
        try:
            yield str(temporary)
        except (InvalidModelError, click.ClickException) as error:
            raise _on_standard_input(error, str(temporary)) from None


def open_file(ctx: click.Context, path: str, format_name: str | None):
    """The model of FILE (``-``: standard input, :func:`readable_file`): :func:`chosen_format`,
    then the format's ``open`` with its options."""
    with readable_file(path) as readable:
        info, options = chosen_format(ctx, readable, format_name)
        return info.open_model(readable, **options)


def _on_standard_input(error: Exception, temporary: str) -> Exception:
    """``error`` naming "standard input" instead of the temporary file holding it."""
    def renamed(text) -> str:
        return str(text).replace(temporary, "standard input")

    if isinstance(error, InvalidModelError):
        try:
            return type(error)(renamed(error.reason), **{key: renamed(value) if value == temporary else value
                                                         for key, value in error.location.items()})
        except TypeError:  # a subclass with another signature: its text, renamed
            return InvalidModelError(renamed(error))
    if isinstance(error, click.UsageError):
        return click.UsageError(renamed(error.message), ctx=error.ctx)
    return click.ClickException(renamed(error.message))
