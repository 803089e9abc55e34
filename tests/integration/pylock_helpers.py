"""Hand-written pylock.toml files over the local test index (for sync/run tests)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from corral.services.context import Context
from corral.services.lock import lock_inputs_hash

if TYPE_CHECKING:
    from support.index import LocalIndex


@dataclass(frozen=True)
class Entry:
    """One [[packages]] entry: a distribution file of the local index, optionally with a marker."""

    filename: str
    marker: str | None = None
    sdist: str | None = None
    bad_hash: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def _name_version(filename: str) -> tuple[str, str]:
    stem = filename.removesuffix(".tar.gz")
    name, version = stem.split("-")[:2]
    return name.replace("_", "-"), version


def _file_table(index: LocalIndex, filename: str, *, bad_hash: bool = False) -> str:
    entry = index.files[filename]
    digest = ("0" * 64) if bad_hash else entry.sha256
    size = entry.path.stat().st_size
    return (
        f"name = {json.dumps(filename)}\nurl = {json.dumps(f'{index.url}/files/{filename}')}\n"
        f"size = {size}\nhashes = {{sha256 = {json.dumps(digest)}}}\n"
    )


def pylock_text(
    index: LocalIndex,
    entries: list[Entry],
    *,
    extras: list[str] | None = None,
    groups: list[str] | None = None,
    default_groups: list[str] | None = None,
    requires_python: str | None = None,
    inputs_hash: str | None = None,
) -> str:
    """A PEP 751 multi-use lock in the shape corral's lock side writes."""
    lines = ['lock-version = "1.0"', 'created-by = "corral-tests"']
    if requires_python:
        lines.append(f"requires-python = {json.dumps(requires_python)}")
    if extras is not None:
        lines.append(f"extras = {json.dumps(extras)}")
    if groups is not None:
        lines.append(f"dependency-groups = {json.dumps(groups)}")
    if default_groups is not None:
        lines.append(f"default-groups = {json.dumps(default_groups)}")
    out = "\n".join(lines) + "\n"
    for item in sorted(entries, key=lambda e: _name_version(e.filename)):
        name, version = _name_version(item.filename)
        out += f"\n[[packages]]\nname = {json.dumps(name)}\nversion = {json.dumps(version)}\n"
        if item.marker:
            out += f"marker = {json.dumps(item.marker)}\n"
        out += f'index = "{index.simple_url}/"\n'
        if item.filename.endswith(".whl"):
            out += "\n[[packages.wheels]]\n" + _file_table(index, item.filename, bad_hash=item.bad_hash)
        else:
            out += "\n[packages.sdist]\n" + _file_table(index, item.filename, bad_hash=item.bad_hash)
        if item.sdist:
            out += "\n[packages.sdist]\n" + _file_table(index, item.sdist)
    if inputs_hash:
        out += f'\n[tool.corral]\ninputs-hash = "{inputs_hash}"\n'
    return out


def fresh_hash(root: Path, environ: dict[str, str]) -> str:
    """The inputs-hash corral's lock side expects for the project at `root` under `environ`."""
    ctx = Context(cwd=root, environ=environ)
    return lock_inputs_hash(ctx, ctx.require_project().data)


def write_lock(root: Path, index: LocalIndex, entries: list[Entry], environ: dict[str, str], **kwargs: object) -> Path:
    """Write `root/pylock.toml`, fresh for the project's pyproject under `environ`."""
    path = root / "pylock.toml"
    path.write_text(
        pylock_text(index, entries, inputs_hash=fresh_hash(root, environ), **kwargs),  # type: ignore[arg-type]
        encoding="utf-8",
    )
    return path


def write_project(
    root: Path,
    *,
    deps: list[str] | None = None,
    package: bool = False,
    groups: dict[str, list[str]] | None = None,
    extras: dict[str, list[str]] | None = None,
    requires_python: str = ">=3.8",
) -> Path:
    """A pyproject.toml; `package=True` declares a build system (see add_package_backend)."""
    root.mkdir(parents=True, exist_ok=True)
    text = (
        f'[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = "{requires_python}"\n'
        f"dependencies = {json.dumps(deps or [])}\n"
    )
    if extras:
        text += "\n[project.optional-dependencies]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in extras.items())
    if groups:
        text += "\n[dependency-groups]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in groups.items())
    if package:
        text += '\n[build-system]\nrequires = []\nbuild-backend = "demo_backend"\nbackend-path = ["_build"]\n'
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    if package:
        add_package_backend(root)
    return root


_BACKEND = '''"""A stdlib-only PEP 517/660 backend for the sync tests' project (editable installs with a .pth)."""
import base64, hashlib, os, zipfile

NAME, VERSION = "demo", "0.1.0"


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, digest, len(data))


def _wheel(directory, files):
    dist = "%s-%s.dist-info" % (NAME, VERSION)
    files = dict(files)
    files[dist + "/METADATA"] = ("Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (NAME, VERSION)).encode()
    files[dist + "/WHEEL"] = b"Wheel-Version: 1.0\\nGenerator: demo\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    record = [_record_line(p, d) for p, d in files.items()] + [dist + "/RECORD,,"]
    files[dist + "/RECORD"] = ("\\n".join(record) + "\\n").encode()
    name = "%s-%s-py3-none-any.whl" % (NAME, VERSION)
    with zipfile.ZipFile(os.path.join(directory, name), "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with open(os.path.join("src", "demo.py"), "rb") as handle:
        return _wheel(wheel_directory, {"demo.py": handle.read()})


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, {"demo_editable.pth": (os.path.abspath("src") + "\\n").encode()})


def build_sdist(sdist_directory, config_settings=None):
    raise NotImplementedError
'''


def add_package_backend(root: Path) -> None:
    """Give the project a `src/demo.py` and the stdlib-only backend declared by write_project(package=True)."""
    (root / "_build").mkdir(exist_ok=True)
    (root / "_build" / "demo_backend.py").write_text(_BACKEND, encoding="utf-8")
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "demo.py").write_text('"""The demo project."""\nVALUE = 42\n', encoding="utf-8")
