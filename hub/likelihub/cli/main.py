"""``likelihub``: the command group, the ``backends`` and ``plugins`` commands, plugin commands."""

from __future__ import annotations

import json

import click

from .. import __version__
from ..registry import available_backends, default_registry
from .demo import demo_command

__all__ = ["cli", "main"]


@click.group(help="likelihub: CLs, upper limits and fits for the likelihoods of LHC searches.")
@click.version_option(__version__, prog_name="likelihub")
def cli():
    pass


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
    """List the loaded plugins, their backends and commands, and plugins that failed."""
    registry = default_registry()
    for plugin in registry.plugins:
        names = sorted(n for n, b in registry.backends.items() if b.plugin == plugin)
        click.echo(f"{plugin}: backends {', '.join(names) or '-'}")
    if registry.commands:
        click.echo("commands: " + ", ".join(sorted(c.name for c in registry.commands)))
    for plugin, reason in registry.failed.items():
        click.echo(f"{plugin}: {reason}")


cli.add_command(demo_command)


def _add_plugin_commands(group: click.Group) -> None:
    for command in default_registry().commands:
        if command.name not in group.commands:
            group.add_command(command)


def main(args=None) -> None:
    """Entry point of the ``likelihub`` script."""
    _add_plugin_commands(cli)
    cli.main(args=args, prog_name="likelihub")
