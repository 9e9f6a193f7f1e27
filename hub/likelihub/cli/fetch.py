"""``likelihub fetch IDENTIFIER``: download a HEPData likelihood into the local cache and say what
it holds.

    likelihub fetch ins1755298                       # the likelihoods of an INSPIRE record
    likelihub fetch 10.17182/hepdata.90607.v3/r3     # one resource, by its DOI (as pyhf contrib download)
    likelihub fetch ins1755298 --force --cache-dir ./models --json

The download and the cache are :mod:`likelihub.fetching`'s. What each file holds is told by the
installed file formats (their ``summary``: the HistFactory plugin's names workspaces and
patchsets, with their patches and labels); a file no format describes is described by its kind
(a JSON object and its keys, text, bytes). Archives are listed member by member.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from likelihub.cli.options import reporting_errors
from likelihub.cli.tables import text_table

__all__ = ["fetch_command", "describe_file"]


def _generic(path: Path) -> str:
    """What ``path`` holds, told by its kind: JSON (its keys), text (its lines), else bytes."""
    size = path.stat().st_size
    try:
        text = path.read_text()
    except (UnicodeDecodeError, OSError):
        return f"{_size(size)} of data"
    try:
        document = json.loads(text)
    except ValueError:
        lines = len(text.splitlines())
        return f"text, {lines} line{'s' * (lines != 1)}"
    if isinstance(document, dict):
        keys = list(document)
        shown = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "")
        return f"JSON object, keys: {shown or '(none)'}"
    return f"JSON {type(document).__name__}" + (f" of {len(document)} entries" if isinstance(document, list)
                                                else "")


def describe_file(path: str | Path) -> str:
    """One line on what the file ``path`` holds: the first installed format (by name) that
    recognises it and describes it (``summary``), else :func:`_generic`."""
    from likelihub.registry.catalogue import available_formats

    for info in available_formats().values():
        if not info.recognises(str(path)):
            continue
        try:
            summarise = info.summariser()
            text = summarise(str(path)) if summarise is not None else None
        except Exception:  # a broken format's summary: the next one, or the generic line
            text = None
        if text:
            return " ".join(str(text).split())
    return _generic(Path(path))


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def _members(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _report(fetched) -> dict:
    files = []
    for file in fetched.files:
        entry = {"name": file.name, "path": str(file.path), "url": file.url, "size": file.size,
                 "sha256": file.sha256}
        if file.unpacked is not None:
            entry["unpacked"] = str(file.unpacked)
            entry["members"] = [{"name": str(p.relative_to(file.unpacked)), "path": str(p),
                                 "holds": describe_file(p)} for p in _members(file.unpacked)]
        else:
            entry["holds"] = describe_file(file.path)
        files.append(entry)
    return {"identifier": fetched.identifier.shown, "kind": fetched.identifier.kind,
            "folder": str(fetched.folder), "downloaded": fetched.downloaded, "files": files}


def _text(report: dict) -> str:
    how = "downloaded" if report["downloaded"] else "from the cache"
    count = len(report["files"])
    lines = [f"{report['identifier']}: {count} file{'s' * (count != 1)} in {report['folder']} ({how})"]
    for file in report["files"]:
        lines += ["", f"{file['name']}  {_size(file['size'])}  sha256 {file['sha256'][:16]}...  "
                      f"{file['url']}"]
        if "members" in file:
            lines.append(f"unpacked in {file['unpacked']}:")
            lines += ["  " + line for line in text_table([[m["name"], m["holds"]] for m in file["members"]],
                                                         ["member", "holds"])]
        else:
            lines.append(f"  {file['holds']}")
    return "\n".join(lines)


@click.command("fetch")
@click.argument("identifier")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Where to keep the downloads [default: $LIKELIHUB_CACHE, else $XDG_CACHE_HOME/likelihub, "
                   "else ~/.cache/likelihub].")
@click.option("--force", is_flag=True, help="Download again, even where the cache holds the files.")
@click.option("--timeout", type=click.FloatRange(0.0, min_open=True), default=60.0, show_default=True,
              help="Seconds to wait for the server (each connection and each read).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def fetch_command(identifier: str, cache_dir: str | None, force: bool, timeout: float, as_json: bool):
    """Download a HEPData likelihood (an INSPIRE record's likelihoods, or one resource by its DOI)
    into the local cache, then say what it holds: workspaces, patchsets (patches and labels),
    simplified likelihoods. A file already cached (its SHA-256 checked) is not downloaded again."""
    from likelihub.fetching import fetch

    with reporting_errors():
        fetched = fetch(identifier, cache_dir=cache_dir, force=force, timeout=timeout)
        report = _report(fetched)
    click.echo(json.dumps(report, indent=1) if as_json else _text(report))
