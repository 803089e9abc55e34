"""The versions a project's uv.lock pins, kept by its first `corral lock` (a project moving from uv to corral).

A project that ships a uv.lock and no pylock.toml (flask, typer, ...) was locked by its maintainers; a first lock
that ignored it resolved everything anew (flask: 70 of 97 versions newer than its uv.lock's, cryptography 46 -> 50).
`registry_pins` reads the registry packages of `<project>/uv.lock` (name, version, index) as `services.lock` reads
a previous pylock.toml's, so uv prefers those versions wherever the requirements allow them, as `uv lock` keeps
its own lock. Only versions carry over: uv resolves again against the index corral is set to and records the files
it finds, so nothing but a preference comes from the file (untrusted input: read by `infra.safe_read`, a link out
of the project not followed, each entry checked as a lock entry is, a bad one skipped, a damaged file none; a
registry URL's `user:password@` is left out, so no credential reaches uv's preferences or corral's records).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["UV_LOCK", "registry_pins"]

UV_LOCK = "uv.lock"
_LIMIT = 64 << 20  # infra.toml_file's cap for a TOML file other than pyproject.toml


def registry_pins(project_root: Path) -> list[dict[str, str]]:
    """`{"name", "version", "index"}` of each registry package in the project's uv.lock; [] when it has none."""
    from corral.core.pylock_check import check_lock
    from corral.core.urls import strip_credentials
    from corral.errors import ConfigError, LockError
    from corral.infra.safe_read import read_small
    from corral.infra.toml_file import decode_text, parse_toml

    path = project_root / UV_LOCK
    try:
        data = parse_toml(
            decode_text(read_small(path, limit=_LIMIT, what=UV_LOCK, inside=project_root), origin=str(path)),
            origin=str(path),
        )
    except (OSError, ConfigError):
        return []  # absent, a link out of the project, not a file, too big, not UTF-8, not TOML: no pins
    packages = data.get("package")
    pins: list[dict[str, str]] = []
    for package in packages if isinstance(packages, list) else []:
        if not isinstance(package, dict):
            continue
        source = package.get("source")
        registry = source.get("registry") if isinstance(source, dict) else None
        if isinstance(registry, str):
            registry = strip_credentials(registry)  # never into the preferences, the plan's record or a message
        pin = {"name": package.get("name"), "version": package.get("version"), "index": registry}
        if not all(isinstance(value, str) for value in pin.values()):
            continue  # the project itself, a path, git or URL source: no registry pin
        try:
            check_lock({"packages": [pin]}, origin=str(path))
        except LockError:
            continue
        pins.append(pin)  # type: ignore[arg-type]  # every value checked to be a str above
    return pins
