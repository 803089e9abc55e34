"""A stdlib-only PEP 517 build backend, shipped inside the test suite's sdists.

It is copied verbatim into each sdist that `support.wheels` builds and named
there by `build-backend = "tinybackend"` with `backend-path = ["."]`, so the
sdist builds with no download at all (`requires = []`).  It reads the name and
version from the sdist's PKG-INFO and packs every top-level ``*.py`` file
except itself.  It runs in the *target* interpreter's build environment, so it
sticks to plain Python that every target from 3.7 on understands.
"""

from __future__ import annotations

import base64
import hashlib
import re
import tarfile
import zipfile
from pathlib import Path

_SELF = "tinybackend.py"
_TAG = "py3-none-any"
_DATE = (2020, 1, 1, 0, 0, 0)


def _pkg_info() -> str:
    """Return the sdist's PKG-INFO text."""
    return Path("PKG-INFO").read_text(encoding="utf-8")


def _field(text: str, name: str) -> str:
    """Return the first value of header `name` in a metadata text."""
    match = re.search(r"^" + re.escape(name) + r":\s*(.+)$", text, re.MULTILINE)
    if match is None:
        raise ValueError("PKG-INFO has no " + name)
    return match.group(1).strip()


def _stem(text: str) -> str:
    """Return the escaped ``name-version`` stem used by file names."""
    name = re.sub(r"[-_.]+", "_", _field(text, "Name")).lower()
    return name + "-" + _field(text, "Version")


def _modules() -> list[str]:
    """Return the top-level modules to pack, sorted."""
    return sorted(p.name for p in Path().iterdir() if p.suffix == ".py" and p.name != _SELF)


def _record_line(path: str, data: bytes) -> str:
    """Return one RECORD row for a file of the wheel."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"{path},sha256={digest},{len(data)}"


def _wheel_text() -> str:
    """Return the WHEEL file of a pure-Python wheel."""
    return "Wheel-Version: 1.0\nGenerator: tinybackend\nRoot-Is-Purelib: true\nTag: " + _TAG + "\n"


def _write_zip(path: Path, files: list[tuple[str, bytes]]) -> None:
    """Write `files` (name, bytes) into a deterministic zip at `path`."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


def get_requires_for_build_wheel(config_settings: dict[str, object] | None = None) -> list[str]:
    """Return the extra build requirements of a wheel: none."""
    return []


def get_requires_for_build_sdist(config_settings: dict[str, object] | None = None) -> list[str]:
    """Return the extra build requirements of an sdist: none."""
    return []


def build_wheel(
    wheel_directory: str,
    config_settings: dict[str, object] | None = None,
    metadata_directory: str | None = None,
) -> str:
    """Build the wheel into `wheel_directory` and return its file name."""
    return _write_wheel(wheel_directory, [(module, Path(module).read_bytes()) for module in _modules()])


def _write_wheel(wheel_directory: str, files: list[tuple[str, bytes]]) -> str:
    """Write a wheel of `files` plus this package's dist-info into `wheel_directory`; return its file name."""
    text = _pkg_info()
    stem = _stem(text)
    dist_info = stem + ".dist-info"
    files = [*files, (dist_info + "/METADATA", text.encode("utf-8"))]
    files.append((dist_info + "/WHEEL", _wheel_text().encode("utf-8")))
    rows = [_record_line(name, data) for name, data in files]
    rows.append(dist_info + "/RECORD,,")
    files.append((dist_info + "/RECORD", ("\n".join(rows) + "\n").encode("utf-8")))
    filename = stem + "-" + _TAG + ".whl"
    _write_zip(Path(wheel_directory) / filename, files)
    return filename


def get_requires_for_build_editable(config_settings: dict[str, object] | None = None) -> list[str]:
    """Return the extra build requirements of an editable wheel: none."""
    return []


def build_editable(
    wheel_directory: str,
    config_settings: dict[str, object] | None = None,
    metadata_directory: str | None = None,
) -> str:
    """Build an editable wheel (PEP 660): a ``.pth`` file naming this folder instead of the modules."""
    pth = "_editable_" + _stem(_pkg_info()).split("-")[0] + ".pth"
    return _write_wheel(wheel_directory, [(pth, (str(Path.cwd().resolve()) + "\n").encode("utf-8"))])


def build_sdist(sdist_directory: str, config_settings: dict[str, object] | None = None) -> str:
    """Build an sdist of the current tree into `sdist_directory` and return its file name."""
    stem = _stem(_pkg_info())
    filename = stem + ".tar.gz"
    with tarfile.open(Path(sdist_directory) / filename, "w:gz") as archive:
        for name in ["PKG-INFO", "pyproject.toml", _SELF, *_modules()]:
            archive.add(name, arcname=stem + "/" + name)
    return filename
