"""Release commands on the root app: ``version`` and ``build`` (the offline artifact).

Light to import: ``pavedroad.release`` (git, the build) loads only when one of them runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pavedroad.cli.common import console, friendly_errors
from pavedroad.errors import InvalidInput

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``version`` and ``build`` to the root app."""
    app.command()(version)
    app.command()(build)


@friendly_errors
def version(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (version, commit, built_at, source).")] = False,
) -> None:
    """This pavedroad's version, commit and build time (from the artifact it was installed from, or git)."""
    from pavedroad.release import build_info

    info = build_info()
    if as_json:
        sys.stdout.write(info.to_json())
        return
    console.print(
        f"pavedroad {info.version}\ncommit    {info.commit}\nbuilt     {info.built_at}\nsource    {info.source}"
        f"\npython    {sys.version.split()[0]}",
        highlight=False,
        markup=False,
    )


@friendly_errors
def build(
    out: Annotated[Path, typer.Option(help="Directory for the artifact, its SBOM and checksums.")] = Path("dist"),
    rev: Annotated[str, typer.Option(help="The commit to build (its committed tree; never the work tree).")] = "HEAD",
    release: Annotated[
        bool, typer.Option("--release", help="Also write the changelog section since the last release tag.")
    ] = False,
    cache: Annotated[
        Path | None, typer.Option(help="Wheel cache (default ~/.cache/pavedroad/wheels); filled once, then offline.")
    ] = None,
) -> None:
    """Build the offline artifact: one reproducible tarball (wheels, install script, launcher, systemd units)."""
    from pavedroad.release import build as build_artifact
    from pavedroad.release import checkout_root

    root = checkout_root(Path.cwd()) or checkout_root()
    if root is None:
        raise InvalidInput("`pavedroad build` runs in a git checkout of pavedroad", hint="cd into the repository")
    artifact = build_artifact(root, out, cache=cache, rev=rev, log=lambda line: console.print(line, highlight=False))
    console.print(
        f"built {artifact.tarball} in {artifact.seconds:.1f}s ({artifact.tarball.stat().st_size / 1e6:.1f} MB)"
    )
    console.print(f"  SBOM      {artifact.sbom}\n  checksums {artifact.checksums}", highlight=False)
    if release:
        from pavedroad.release import write_changelog

        path = write_changelog(root, out, version=artifact.version, rev=artifact.commit)
        console.print(f"  changelog {path}", highlight=False)
