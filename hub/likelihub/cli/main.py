"""``likelihub``: the command group, the ``backends`` and ``plugins`` commands, the commands on a
file of any installed format (``cls``, ``limit``, ``fit``, ``inspect``, ``scan-profile``), plugin
commands.

No traceback reaches a user: likelihub's errors are one line naming what is wrong and where (exit
status 1), bad options are usage errors (exit status 2), and any other exception, a bug or an
unexpected failure, is one line with its type and message, and how to see the traceback
(``likelihub --traceback ...`` or ``LIKELIHUB_TRACEBACK=1``).

``likelihub -v`` (``-vv``) shows info (and debug) messages of the ``likelihub`` loggers, ``--quiet``
only results and errors; warnings are one line each (:mod:`likelihub.cli.verbosity`).
``likelihub fetch`` downloads HEPData likelihoods (:mod:`likelihub.cli.fetch`).
"""

from __future__ import annotations

import json
import os
import sys

import click

from likelihub import __version__
from likelihub.cli.demo import demo_command
from likelihub.cli.diagnostics import COMMANDS as DIAGNOSTICS_COMMANDS
from likelihub.cli.fetch import fetch_command
from likelihub.cli.inspect import inspect_command
from likelihub.cli.models import cls_command, fit_command, limit_command
from likelihub.cli.options import one_line
from likelihub.cli.profile import scan_profile_command
from likelihub.cli.scan import scan_command
from likelihub.cli.significance import significance_command
from likelihub.cli.verbosity import cli_output
from likelihub.errors import LikelihubError
from likelihub.registry.plugins import available_backends, default_registry

__all__ = ["cli", "main", "TRACEBACK_VARIABLE"]

#: Environment variable that, set to 1, lets unexpected exceptions show their traceback.
TRACEBACK_VARIABLE = "LIKELIHUB_TRACEBACK"


def _traceback_wanted(ctx: click.Context | None = None) -> bool:
    if os.environ.get(TRACEBACK_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on"):
        return True
    root = ctx.find_root() if ctx is not None else None
    return bool(root is not None and root.meta.get("likelihub.traceback"))


def _unexpected(error: BaseException) -> str:
    return (f"unexpected {type(error).__name__}: {one_line(error) or '(no message)'} (rerun with "
            f"likelihub --traceback ..., or {TRACEBACK_VARIABLE}=1, to see where)")


class GuardedGroup(click.Group):
    """A click group whose commands never show a traceback: likelihub's errors and any other
    exception become one line (exit status 1), unless the traceback is asked for."""

    def invoke(self, ctx: click.Context):
        with cli_output(verbose=ctx.params.get("verbose", 0), quiet=ctx.params.get("quiet", False)):
            return self._invoke_guarded(ctx)

    def _invoke_guarded(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort,
                KeyboardInterrupt):
            raise
        except LikelihubError as error:
            if _traceback_wanted(ctx):
                raise
            raise click.ClickException(one_line(error)) from None
        except Exception as error:  # the last resort: a bug, or a failure nobody foresaw
            if _traceback_wanted(ctx):
                raise
            raise click.ClickException(_unexpected(error)) from None


def _remember_traceback(ctx: click.Context, param, value: bool) -> bool:
    ctx.meta["likelihub.traceback"] = value
    return value


@click.group(cls=GuardedGroup,
             help="likelihub: CLs, upper limits and fits for the likelihoods of LHC searches.")
@click.version_option(__version__, prog_name="likelihub")
@click.option("--traceback", is_flag=True, expose_value=False, is_eager=True,
              callback=_remember_traceback,
              help=f"Show the traceback of an unexpected error (also: {TRACEBACK_VARIABLE}=1).")
@click.option("-v", "--verbose", count=True,
              help="Say more on standard error: -v info messages (files read, limits found, scans, "
                   "downloads), -vv debug messages too (each CLs, fits falling back, scan chunks).")
@click.option("-q", "--quiet", is_flag=True,
              help="Say nothing but the results and errors: no info messages, warnings or progress bars.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool):
    if verbose and quiet:
        raise click.UsageError("-v/--verbose and -q/--quiet contradict each other: give one", ctx=ctx)
    ctx.meta["likelihub.quiet"] = quiet


@cli.command("backends")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def backends_command(as_json: bool):
    """List the installed backends with their versions and references."""
    backends = available_backends()
    if as_json:
        click.echo(json.dumps([b.to_dict() for b in backends.values()], indent=1))
        return
    if not backends:
        click.echo("No backends installed: pip install likelihub[all]")
        return
    width = max(len(n) for n in backends)
    click.echo(f"{'backend':<{width}}  {'plugin':<12} {'version':<8} references")
    for name, info in backends.items():
        click.echo(f"{name:<{width}}  {info.plugin:<12} {info.version:<8} "
                   f"{', '.join(info.references)}")
    registry = default_registry()
    for plugin, reason in registry.failed.items():
        click.echo(f"(plugin {plugin!r} {reason})", err=True)


@cli.command("plugins")
def plugins_command():
    """List the loaded plugins, their backends, point sources, examples, file formats and
    commands, and plugins (or point sources, examples, formats) that failed."""
    registry = default_registry()
    broken = []
    for plugin in registry.plugins:
        names = sorted(n for n, b in registry.backends.items() if b.plugin == plugin)
        line = f"{plugin}: backends {', '.join(names) or '-'}"
        for label, offers in (("point sources", registry.point_sources), ("examples", registry.examples),
                              ("formats", registry.formats)):
            offered = sorted(n for n, o in offers.items() if o.plugin == plugin)
            if offered:
                line += f"; {label} {', '.join(offered)}"
            for name in offered:
                try:
                    offers[name].load()
                except LikelihubError as error:
                    broken.append(f"{plugin}: {offers[name].kind} {name!r} failed to load "
                                  f"({one_line(error)})")
        click.echo(line)
    if registry.commands:
        click.echo("commands: " + ", ".join(sorted(c.name for c in registry.commands)))
    for plugin, reason in registry.failed.items():
        click.echo(f"{plugin}: {reason}")
    for line in broken:
        click.echo(line)


for _command in (cls_command, limit_command, fit_command, inspect_command, demo_command, scan_command,
                 scan_profile_command, fetch_command, significance_command, *DIAGNOSTICS_COMMANDS):
    cli.add_command(_command)


def _add_plugin_commands(group: click.Group) -> None:
    for command in default_registry().commands:
        if command.name not in group.commands:
            group.add_command(command)


def main(args=None) -> None:
    """Entry point of the ``likelihub`` script: the command group, with a last-resort guard
    against tracebacks where the group's own guard cannot act (e.g. a plugin's option type)."""
    arguments = sys.argv[1:] if args is None else list(args)
    try:
        with cli_output(quiet="-q" in arguments or "--quiet" in arguments):  # plugins' warnings
            _add_plugin_commands(cli)
        cli.main(args=args, prog_name="likelihub")
    except Exception as error:
        if _traceback_wanted() or "--traceback" in arguments:
            raise
        click.echo(f"Error: {_unexpected(error)}", err=True)
        sys.exit(1)
