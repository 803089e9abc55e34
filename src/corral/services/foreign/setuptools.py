"""A setup.py / setup.cfg project's name and dependencies, as setuptools states them, recorded in `[project]`.

corral records dependencies in `[project]`, and once that table exists setuptools (≥ 61) takes every field from
it: each field setup.py or setup.cfg still provides must be listed in `dynamic`, or setuptools drops it. So
`[project]` gets what corral manages — name, requires-python, dependencies, optional-dependencies, read from
the METADATA setuptools itself builds — and lists as dynamic every other field that METADATA has a value for (the
version too: `attr:` and setuptools-scm versions keep working; setuptools refuses a dynamic field nothing fills).
`[build-system]` names setuptools ≥ 61, the first that reads `[project]`. The caller checks that setuptools then
builds the same metadata.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from corral.errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path

    from corral.services.context import Context
    from corral.services.foreign.metadata import CoreMetadata

__all__ = ["SETUPTOOLS", "migrate_setuptools"]

SETUPTOOLS = "setuptools>=61.0"


def migrate_setuptools(ctx: Context, root: Path, old_text: str | None, *, python: str) -> tuple[str, list[str]]:
    """The pyproject text with `[project]` (and `[build-system]`) for the setuptools project at `root`."""
    import tomlkit

    from corral.infra.toml_file import parse_toml
    from corral.services.foreign import setup_files, splice_tables
    from corral.services.foreign.metadata import build_system, read_metadata

    data = parse_toml(old_text, origin=str(root / "pyproject.toml")) if old_text is not None else {}
    backend = str(build_system(data)["build-backend"])
    if not backend.startswith("setuptools.build_meta"):
        msg = (
            f"{root / 'pyproject.toml'}: the build backend is {backend}, not setuptools; corral can only record a "
            "setuptools project's metadata in [project]: move it there by hand, then run `corral init` again; "
            "nothing was changed"
        )
        raise UsageError(msg)
    metadata = read_metadata(ctx, root, python=python, data=data)
    source = " and ".join(setup_files(root))
    dependencies, optional = _split_extras(metadata)
    changes = [f"[project].name = {metadata.name!r} (from {source}, as setuptools builds it)"]
    project = tomlkit.table()
    project["name"] = metadata.name
    if metadata.requires_python:
        project["requires-python"] = metadata.requires_python
        changes.append(f"[project].requires-python = {metadata.requires_python!r} (from {source})")
    project["dependencies"] = _array(dependencies)
    changes.append(
        f"[project].dependencies = {dependencies} (from {source}; setuptools now reads them from "
        "pyproject.toml: drop install_requires there)"
    )
    if optional:
        extras = tomlkit.table()
        for name, requirements in optional.items():
            extras[name] = _array(requirements)
        project["optional-dependencies"] = extras
        changes.append(f"[project.optional-dependencies] = {optional} (from {source}; drop extras_require there)")
    dynamic = ["version", *metadata.stated_fields()]
    project["dynamic"] = _array(dynamic)
    changes.append(f"[project].dynamic = {dynamic}: setuptools keeps taking these (the version too) from {source}")
    doc = tomlkit.parse(old_text) if old_text is not None else tomlkit.document()
    head = tomlkit.document()
    head["project"] = project
    _build_system(doc, head, changes)
    return splice_tables(tomlkit.dumps(doc), tomlkit.dumps(head)), changes


def _array(items: list[str]) -> Any:  # noqa: ANN401 - tomlkit item
    import tomlkit

    array = tomlkit.array()
    array.extend(items)
    if len(items) > 1:
        array.multiline(True)
    return array


_EXTRA = r"""extra\s*==\s*["']([^"']+)["']"""


def _split_extras(metadata: CoreMetadata) -> tuple[list[str], dict[str, list[str]]]:
    """Requires-Dist split into dependencies and per-extra lists, the `extra == "x"` clause taken out."""
    from packaging.requirements import Requirement

    dependencies: list[str] = []
    optional: dict[str, list[str]] = {e: [] for e in metadata.provides_extra}
    for text in metadata.requires_dist:
        requirement = Requirement(text)
        marker = str(requirement.marker) if requirement.marker else ""
        if "extra" not in marker:
            dependencies.append(str(requirement))
            continue
        match = re.fullmatch(rf"{_EXTRA}|\(?(.*?)\)?\s+and\s+{_EXTRA}", marker)
        if match is None:
            msg = (
                f"cannot record {text!r} from setuptools' metadata: its marker names an extra in a way corral "
                "does not take apart; move the metadata to [project] by hand; nothing was changed"
            )
            raise UsageError(msg)
        extra, rest = (match.group(1), "") if match.group(1) else (match.group(3), match.group(2))
        requirement.marker = None
        optional.setdefault(extra, []).append(str(requirement) + (f"; {rest}" if rest else ""))
    return dependencies, optional


def _build_system(doc: Any, head: Any, changes: list[str]) -> None:  # noqa: ANN401
    from packaging.requirements import InvalidRequirement, Requirement

    system = doc.get("build-system")
    if system is None or "build-backend" not in system:
        import tomlkit

        table = tomlkit.table()
        table["requires"] = [SETUPTOOLS]
        table["build-backend"] = "setuptools.build_meta"
        if system is not None:
            del doc["build-system"]
        head["build-system"] = table
        changes.append(
            f"[build-system] = setuptools.build_meta with {SETUPTOOLS!r} (what pip and uv used "
            "implicitly, new enough to read [project])"
        )
        return
    for index, text in enumerate(list(system.get("requires", []))):
        try:
            requirement = Requirement(str(text))
        except InvalidRequirement:
            continue
        if requirement.name.lower() == "setuptools" and requirement.specifier.contains("60.10.0"):
            system["requires"][index] = SETUPTOOLS
            changes.append(f"[build-system].requires: {text!r} -> {SETUPTOOLS!r} (the first that reads [project])")
