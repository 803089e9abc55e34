"""What the locked packages themselves ask of each other, for `corral outdated`'s "allowed" (read from the env).

pyproject.toml's constraints are not all that holds a package back: pydantic pins pydantic-core exactly, so a newer
pydantic-core is no upgrade `corral lock --upgrade-package pydantic-core` can take, however free pyproject.toml
leaves it. `requirers` reads the `Requires-Dist` of every distribution installed in the project's env (their
METADATA: untrusted input, each read by `infra.safe_read`, a file that is no small regular one or a line that is no
valid requirement skipped) and gives, per required name, who asks for it and with what specifier. A requirement
under a marker applies when the marker holds for the env's Python without an extra: one only an extra brings is
left out, since the lock does not say which extras were taken (so a package that only such a one holds back is
still called allowed). Without an env there is nothing to read: `outdated` judges by pyproject.toml alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from packaging.specifiers import SpecifierSet

__all__ = ["requirers"]

_METADATA_LIMIT = 4 << 20  # a METADATA file holds the long description too: a few hundred kB at most


def requirers(env: Path, marker_env: Mapping[str, str] | None) -> dict[str, list[tuple[str, SpecifierSet]]]:
    """Normalized name -> [(the installed distribution that requires it, its specifier)], from `env`'s METADATA."""
    from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
    from packaging.requirements import InvalidRequirement, Requirement

    from corral.core.env import Env
    from corral.core.names import normalize_name

    found: dict[str, list[tuple[str, SpecifierSet]]] = {}
    for site in Env.at(env).site_packages():
        for name, lines in _requires_dist(site):
            for line in lines:
                try:
                    requirement = Requirement(line)
                    if requirement.marker is not None and not requirement.marker.evaluate(
                        {**(marker_env or {}), "extra": ""}
                    ):
                        continue
                except (InvalidRequirement, InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
                    continue
                if str(requirement.specifier):
                    found.setdefault(normalize_name(requirement.name), []).append((name, requirement.specifier))
    return found


def _requires_dist(site: Path) -> list[tuple[str, list[str]]]:
    """(distribution name, its Requires-Dist values) of each `*.dist-info` in `site` that can be read."""
    from corral.infra.safe_read import read_small

    read: list[tuple[str, list[str]]] = []
    try:
        folders = sorted(p for p in site.iterdir() if p.name.endswith(".dist-info"))
    except OSError:
        return read
    for folder in folders:
        try:
            data = read_small(folder / "METADATA", limit=_METADATA_LIMIT, what="METADATA", inside=folder)
        except OSError:
            continue
        head = data.decode("utf-8", errors="replace").split("\n\n", 1)[0]  # the headers end at the first blank line
        name, values = "", []
        for line in head.splitlines():
            key, _, value = line.partition(":")
            if key == "Name":
                name = value.strip()
            elif key == "Requires-Dist":
                values.append(value.strip())
        if name:
            read.append((name, values))
    return read
