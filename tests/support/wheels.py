"""Hand-built test distributions: tiny wheels and sdists written with zipfile/tarfile.

Nothing here uses setuptools or the network.  `CATALOGUE` is the table of what
`build_packages` writes; add a row to add a package.  Every regular wheel is
universal (``py2.py3-none-any``) and ships one module, named after the project
(``cowsay-lite`` -> ``cowsay_lite``), whose ``__version__`` is the version.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import os
import re
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

UNIVERSAL = "py2.py3-none-any"
WHEEL = "wheel"
SDIST = "sdist"
SETUP_PY_SDIST = "setup.py-sdist"  # an sdist as Python 2.7-era projects shipped it: setup.py, no pyproject.toml
BROKEN = "broken"

COWSAY_BODY = '''
import sys


def main():
    """Print "moo" followed by the arguments."""
    print(" ".join(["moo"] + sys.argv[1:]))
    return 0
'''


@dataclass(frozen=True)
class Package:
    """One distribution file of the catalogue."""

    name: str
    version: str
    requires: tuple[str, ...] = ()
    extras: tuple[str, ...] = ()
    requires_python: str | None = None
    scripts: tuple[tuple[str, str], ...] = ()  # (command, "module:function")
    body: str = ""  # extra source appended to the module
    kind: str = WHEEL  # WHEEL, SDIST or SETUP_PY_SDIST (only an sdist), BROKEN (a wheel no installer accepts)
    tag: str = UNIVERSAL


CATALOGUE: tuple[Package, ...] = (
    Package("alpha", "1.0"),
    Package("alpha", "1.1"),
    Package("alpha", "2.0"),
    Package("beta", "1.0", requires=("alpha>=1.1",)),
    Package("gamma", "1.0", extras=("fast",), requires=('delta; extra == "fast"',)),
    Package("delta", "1.0"),
    Package("delta", "1.2"),
    Package("cowsay-lite", "1.0", scripts=(("cowsay-lite", "cowsay_lite:main"),), body=COWSAY_BODY),
    Package("winonly", "1.0", tag="cp311-cp311-win_amd64"),
    Package("sdistonly", "1.0", kind=SDIST),
    # Only an sdist that setup.py builds (setuptools, as the env has it): what a 2.7 project meets on an index.
    Package("oldsdist", "1.0", kind=SETUP_PY_SDIST, requires=("alpha>=1.1",)),
    Package("broken", "1.0", kind=BROKEN),
    Package("epsilon", "1.0", requires_python=">=3.13"),
    Package("conflict-a", "1.0", requires=("alpha==1.0",)),
    Package("conflict-b", "1.0", requires=("alpha==2.0",)),
    # Packages that depend back on the project being locked (tests/data/projects), as pytest does on pluggy and
    # smokeshow on typer; the old pytest-lite does not, so resolving the project at a wrong version downgrades.
    Package("pytest-lite", "3.2"),
    Package("pytest-lite", "9.0", requires=("pluggy-like>=1.5,<2",)),
    Package("smokeshow-lite", "0.5.0", requires=("typer-like>=0.12",)),
)

_DATE = (2020, 1, 1, 0, 0, 0)
_EPOCH = 1577836800  # 2020-01-01, the mtime of every sdist member
_BACKEND = Path(__file__).with_name("tinybackend.py")
_CORRUPTION = b"#CORRUPT"


def module_name(name: str) -> str:
    """Return the importable module name of a project (``cowsay-lite`` -> ``cowsay_lite``)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def file_stem(package: Package) -> str:
    """Return the escaped ``name-version`` stem shared by the package's file names."""
    return f"{module_name(package.name)}-{package.version}"


def filename(package: Package) -> str:
    """Return the file name the package is built under."""
    if package.kind in {SDIST, SETUP_PY_SDIST}:
        return f"{file_stem(package)}.tar.gz"
    return f"{file_stem(package)}-{package.tag}.whl"


def metadata_text(package: Package) -> str:
    """Return the core metadata (METADATA 2.1) of the package."""
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {package.name}",
        f"Version: {package.version}",
        f"Summary: corral test package {package.name} {package.version}",
    ]
    if package.requires_python:
        lines.append(f"Requires-Python: {package.requires_python}")
    lines += [f"Provides-Extra: {extra}" for extra in package.extras]
    lines += [f"Requires-Dist: {requirement}" for requirement in package.requires]
    return "\n".join(lines) + "\n\n"


def module_source(package: Package) -> str:
    """Return the source of the package's one module."""
    docstring = f'"""{package.name} {package.version}, a corral test package."""'
    return f'{docstring}\n__version__ = "{package.version}"\n{package.body}'


def wheel_text(package: Package) -> str:
    """Return the WHEEL file, with one Tag line per expanded tag."""
    interpreters, abis, platforms = package.tag.split("-")
    tags = [f"{i}-{a}-{p}" for i in interpreters.split(".") for a in abis.split(".") for p in platforms.split(".")]
    purelib = "true" if package.tag == UNIVERSAL else "false"
    lines = ["Wheel-Version: 1.0", "Generator: corral-tests", f"Root-Is-Purelib: {purelib}"]
    return "\n".join(lines + [f"Tag: {tag}" for tag in tags]) + "\n"


def entry_points_text(package: Package) -> str:
    """Return entry_points.txt declaring the package's console scripts."""
    rows = [f"{command} = {target}" for command, target in package.scripts]
    return "[console_scripts]\n" + "\n".join(rows) + "\n"


def record_row(path: str, data: bytes) -> str:
    """Return the RECORD row (path, urlsafe sha256, size) of one file."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"{path},sha256={digest},{len(data)}"


def wheel_files(package: Package) -> list[tuple[str, bytes]]:
    """Return every (archive name, content) of the package's wheel, RECORD last."""
    dist_info = f"{file_stem(package)}.dist-info"
    files = [
        (f"{module_name(package.name)}.py", module_source(package).encode()),
        (f"{dist_info}/METADATA", metadata_text(package).encode()),
        (f"{dist_info}/WHEEL", wheel_text(package).encode()),
    ]
    if package.scripts:
        files.append((f"{dist_info}/entry_points.txt", entry_points_text(package).encode()))
    rows = [record_row(name, data) for name, data in files] + [f"{dist_info}/RECORD,,"]
    files.append((f"{dist_info}/RECORD", ("\n".join(rows) + "\n").encode()))
    return files


def zip_bytes(files: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """Return a deterministic zip archive of `files`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = compression
            archive.writestr(info, data)
    return buffer.getvalue()


def wheel_bytes(package: Package) -> bytes:
    """Return the package's wheel."""
    return zip_bytes(wheel_files(package))


def broken_wheel_bytes(package: Package) -> bytes:
    """Return a wheel whose metadata is sound but whose module's stored bytes fail their CRC-32."""
    files = wheel_files(package)
    archive = bytearray(zip_bytes(files, compression=zipfile.ZIP_STORED))
    module = files[0][1]
    at = archive.index(module)
    archive[at : at + len(_CORRUPTION)] = _CORRUPTION
    return bytes(archive)


def tar_member(name: str, data: bytes, mode: int = 0o644) -> tuple[tarfile.TarInfo, io.BytesIO]:
    """Return a deterministic tar header and content stream for one file."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), _EPOCH, mode
    info.uname = info.gname = "root"
    return info, io.BytesIO(data)


def pyproject_text() -> str:
    """Return the pyproject.toml of an sdist built by the bundled tiny backend."""
    return '[build-system]\nrequires = []\nbuild-backend = "tinybackend"\nbackend-path = ["."]\n'


def sdist_files(package: Package) -> list[tuple[str, bytes]]:
    """Return every (path inside the top folder, content) of the package's sdist."""
    return [
        ("PKG-INFO", metadata_text(package).encode()),
        ("pyproject.toml", pyproject_text().encode()),
        ("tinybackend.py", _BACKEND.read_bytes()),
        (f"{module_name(package.name)}.py", module_source(package).encode()),
    ]


def setup_py_text(package: Package) -> str:
    """Return a setup.py that Python 2.7's setuptools (and any later one) builds the package with."""
    requires = ", ".join(repr(r) for r in package.requires)
    return (
        "from setuptools import setup\n\n"
        f"setup(name={package.name!r}, version={package.version!r}, py_modules=[{module_name(package.name)!r}],\n"
        f"      install_requires=[{requires}])\n"
    )


def setup_py_sdist_files(package: Package) -> list[tuple[str, bytes]]:
    """Return every (path inside the top folder, content) of a setup.py sdist (no pyproject.toml)."""
    return [
        ("PKG-INFO", metadata_text(package).encode()),
        ("setup.py", setup_py_text(package).encode()),
        (f"{module_name(package.name)}.py", module_source(package).encode()),
    ]


def sdist_bytes(package: Package) -> bytes:
    """Return the package's sdist, a deterministic .tar.gz."""
    files = setup_py_sdist_files(package) if package.kind == SETUP_PY_SDIST else sdist_files(package)
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for name, data in files:
            archive.addfile(*tar_member(f"{file_stem(package)}/{name}", data))
    return buffer.getvalue()


def package_bytes(package: Package) -> bytes:
    """Return the content of the package's one file, whatever its kind."""
    builders = {WHEEL: wheel_bytes, SDIST: sdist_bytes, SETUP_PY_SDIST: sdist_bytes, BROKEN: broken_wheel_bytes}
    return builders[package.kind](package)


def write_if_changed(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically unless it already holds exactly that."""
    if path.is_file() and path.read_bytes() == data:
        return
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    Path(temporary).chmod(0o644)
    Path(temporary).replace(path)


def build_packages(dest: Path, catalogue: tuple[Package, ...] = CATALOGUE) -> dict[str, list[Path]]:
    """Build every catalogue entry into `dest` (idempotent) and map each project name to its files."""
    dest.mkdir(parents=True, exist_ok=True)
    built: dict[str, list[Path]] = {}
    for package in catalogue:
        path = dest / filename(package)
        write_if_changed(path, package_bytes(package))
        built.setdefault(package.name, []).append(path)
    return built
