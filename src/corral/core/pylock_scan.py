"""corral's own pylock.toml layout scanned straight to what choosing files needs, or None at any deviation.

A pulled lock (no choice cached for it) was parsed to dicts (`core.pylock_read`: ~50 ms for the 1.1 MB lock of a
215-package stack here), checked (`core.pylock_check`: ~25 ms) and made `packaging.pylock` objects (~170 ms: every
wheel file name parsed twice). `scan` reads only the layout `core.pylock_write.render_pylock` writes for index
packages: comment lines, then `lock-version`, `created-by`, `requires-python`, `extras`, `dependency-groups`,
`default-groups`; per package `name`, `version`, optional `marker` / `requires-python`, `index`, optional
`dependencies`, an optional `[packages.sdist]` and `[[packages.wheels]]` tables of `name`, `url`, `size`,
`upload-time`, `hashes`; `[tool.corral]` with the inputs hash last. The header and the tail are read line by
line, each package's text (`split`: from its `[[packages]]` to the next) by two anchored patterns (~10 ms for that
lock; compiled only when a package is read): printable ASCII strings without escapes, normalized names, versions in
their normal form (no epoch, no local part), wheel and sdist file names of their package's name and version that
packaging parses, https/http/file URLs without `%?#;`, sha256 digests, sizes and date-times tomllib reads.
Whatever it accepts, tomllib reads to the same values, and `check_lock` and `packaging.pylock.Pylock.from_dict`
accept (markers and requires-python aside: `core.pylock_select.select_scanned` has packaging read those). Anything
else (another tool's lock, a hand edit, a comment below the header, CRLF, an escape, a path, a VCS, directory or
archive source, `environments`, a local version...) gives None, and the caller reads the lock the general way, which
reads or refuses it as before.

Stdlib only (re).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any, Final, NamedTuple, cast

__all__ = ["ScannedFile", "ScannedLock", "ScannedPackage", "ScannedWheel", "scan"]

_TEXT: Final = r"[ !#-\[\]-~]*"  # printable ASCII without `"` and `\`: a TOML basic string's exact value
_NAME: Final = r"[a-z0-9]+(?:-[a-z0-9]+)*"  # a normalized project name
_NUMBER: Final = r"(?:0|[1-9][0-9]{0,17})"  # bounded: int() refuses 4300 digits (tomllib on a size, packaging)
# A version in its normal form (str(Version(v)) == v): no epoch, no local part, no leading zeros.
_VERSION: Final = rf"{_NUMBER}(?:\.{_NUMBER})*(?:(?:a|b|rc){_NUMBER})?(?:\.post{_NUMBER})?(?:\.dev{_NUMBER})?"
_URL_CHARS: Final = r"[A-Za-z0-9._~:@!$&'()*+,=-]"  # no `%?#;`: the last path segment is the file name as it is
_URL: Final = rf"(?:https?://{_URL_CHARS}+|file://{_URL_CHARS}*)/[A-Za-z0-9._~:/@!$&'()*+,=-]*"
_TAG_PART: Final = r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*"
_INTERPRETERS: Final = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
# A wheel file name packaging parses: name part, version, optional build tag (a digit first), then the three tags.
_WHEEL: Final = (  # its tags a group
    rf"[A-Za-z0-9_.]+-[A-Za-z0-9_.!+]+(?:-[0-9][A-Za-z0-9_.]*)?-({_INTERPRETERS}-{_TAG_PART}-{_TAG_PART})\.whl"
)
_SDIST: Final = r"[A-Za-z0-9_.-]+(?:\.tar\.gz|\.zip)"
_LEAP_YEAR: Final = r"[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00"
_DAY: Final = (  # a day that exists (tomllib refuses 2025-02-30)
    r"(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31"
)
_TIME: Final = (
    rf"(?:(?!0000)[0-9]{{4}}-(?:{_DAY})|(?:{_LEAP_YEAR})-02-29)"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?Z"
)
_FILE_TAIL: Final = (
    rf'url = "({_URL})"\n(?:size = {_NUMBER}\n)?(?:upload-time = {_TIME}\n)?'
    r'hashes = \{ sha256 = "([0-9a-f]{64})" \}\n'
)
_DEPENDENCIES: Final = rf'\[(?:\{{ name = "{_TEXT}" \}}(?:, \{{ name = "{_TEXT}" \}})*)?\]'
# A package's tables, each a line of its own after a blank one. First its own keys (groups 1-5), then its sdist's
# name, URL and sha256 (6-8), when it has one:
_HEAD: Final = (
    rf'\n\[\[packages\]\]\nname = "({_NAME})"\nversion = "({_VERSION})"\n(?:marker = "({_TEXT})"\n)?'
    rf'(?:requires-python = "({_TEXT})"\n)?index = "({_URL})"\n(?:dependencies = {_DEPENDENCIES}\n)?'
    rf'(?:\n\[packages\.sdist\]\n(?:name = "({_SDIST})"\n)?{_FILE_TAIL})?'
)
# Then each wheel: the whole table (group 1, to prove the tables follow each other), its file name, tags, URL, sha256.
_WHEEL_TABLE: Final = rf'(\n\[\[packages\.wheels\]\]\nname = "({_WHEEL})"\n{_FILE_TAIL})'
_SEPARATORS: Final = re.compile(r"[-_.]+")
PACKAGE_TABLE: Final = "\n[[packages]]\n"  # where each package's text begins (no value holds a line break)
_TAIL: Final = '\n[tool.corral]\ninputs-hash = "'  # the last table, its one key, to the end of the text
_HEADER_KEYS: Final = ("lock-version", "created-by", "requires-python", "extras", "dependency-groups", "default-groups")

ScannedFile = tuple[str, str, str]  # an sdist: its file name (as PEP 751 derives it), URL and sha256
ScannedWheel = tuple[str, str, str, str]  # a wheel: its file name, its tags (`py3-none-any`), URL and sha256


if TYPE_CHECKING:

    class ScannedPackage(NamedTuple):
        """One `[[packages]]` entry of an index package."""

        name: str
        version: str
        marker: str | None
        requires_python: str | None
        index_url: str
        sdist: ScannedFile | None
        wheels: tuple[ScannedWheel, ...]

    class ScannedLock(NamedTuple):
        """The lock's top-level keys (tomllib's values, `packages` and `tool` left out) and its packages."""

        header: dict[str, Any]
        packages: tuple[ScannedPackage, ...]

else:  # the same, as plain named tuples: typing's NamedTuple compiles each annotation (~5 ms on a pulled lock's path)
    from collections import namedtuple

    ScannedPackage = namedtuple(  # noqa: PYI024 - the typed class above is what mypy reads
        "ScannedPackage", ("name", "version", "marker", "requires_python", "index_url", "sdist", "wheels")
    )
    ScannedLock = namedtuple("ScannedLock", ("header", "packages"))  # noqa: PYI024 - as above


def scan(text: str) -> ScannedLock | None:
    """The lock in `text` when it is in the layout this module reads (see the module's docstring), else None."""
    found = split(text)
    if found is None:
        return None
    packages = []
    for start, end in found[1]:
        package = scan_package(text, start, end)
        if package is None:
            return None
        packages.append(package)
    return ScannedLock(found[0], tuple(packages))


def split(text: str) -> tuple[dict[str, Any], list[tuple[int, int]]] | None:
    """The lock's top-level keys (as `scan` reads them) and where each package is, or None where `scan` refuses them.

    A package's text (`text[start:end]`) is its `[[packages]]` table and the tables up to the next one (or to
    `[tool.corral]`): `scan_package` reads it. `scan(text)` is the lock of these keys and of every package's
    `scan_package`, or None where any of them is None: the same text read in parts, so that a caller may keep what
    a part's text was read to (a text read before need not be read again).
    """
    start = text.find(PACKAGE_TABLE)
    tail = text.rfind(_TAIL)
    value = tail + len(_TAIL)  # where the inputs hash begins: its closing quote and a line break end the text
    if start < 0 or tail < start or len(text) < value + 2 or not text.endswith('"\n'):
        return None
    if not _is_text(text[value:-2]):
        return None
    header = _header(text[:start])
    if header is None:
        return None
    spans = []
    while start < tail:
        end = text.find(PACKAGE_TABLE, start + 1)
        end = tail if end < 0 or end > tail else end
        spans.append((start, end))
        start = end
    return header, spans


def scan_package(text: str, start: int = 0, end: int | None = None) -> ScannedPackage | None:
    """One package's text (`text[start:end]`, as `split` finds it) read as `scan` reads it, or None."""
    return _package(text, start, len(text) if end is None else end)


def _is_text(value: str) -> bool:
    """A TOML basic string's value without escapes: printable ASCII without a quote or a backslash (`_TEXT`)."""
    return value.isascii() and value.isprintable() and '"' not in value and "\\" not in value


def _header(text: str) -> dict[str, Any] | None:
    """The top-level keys before the first package, as corral writes them (after comment lines), or None.

    Each line is `key = "string"` or `key = ["string", ...]` (`, ` between, no other spacing), in `_HEADER_KEYS`' order,
    `requires-python` optional; a comment line is `#` and printable ASCII. `text` ends with a line break.
    """
    if not text.endswith("\n"):
        return None
    lines = text[:-1].split("\n")
    first = 0
    while first < len(lines) and lines[first].startswith("#"):
        if not (lines[first].isascii() and lines[first].isprintable()):
            return None
        first += 1
    keys = _HEADER_KEYS if len(lines) - first == len(_HEADER_KEYS) else _HEADER_KEYS[:2] + _HEADER_KEYS[3:]
    if len(lines) - first != len(keys):
        return None
    header: dict[str, Any] = {}
    for key, line in zip(keys, lines[first:], strict=True):
        prefix = f"{key} = "
        if not line.startswith(prefix):
            return None
        value = line[len(prefix) :]
        found = _strings(value) if key in _HEADER_KEYS[3:] else _string(value)
        if found is None:
            return None
        header[key] = found
    return header


def _string(value: str) -> str | None:
    """The value of `"text"` (`_TEXT` between the quotes), or None."""
    if len(value) < 2 or value[0] != '"' or value[-1] != '"' or not _is_text(value[1:-1]):  # noqa: PLR2004 - quotes
        return None
    return value[1:-1]


def _strings(value: str) -> list[str] | None:
    """The values of `[]` or `["text", "text", ...]` (`, ` between), or None."""
    if value == "[]":
        return []
    if len(value) < 4 or not value.startswith('["') or not value.endswith('"]'):  # noqa: PLR2004 - the brackets
        return None
    found = value[2:-2].split('", "')  # no value holds a quote: each `", "` is a separator
    return found if all(map(_is_text, found)) else None


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """`_HEAD` and `_WHEEL_TABLE` compiled: once, and only when a package is read (a lock read before needs none)."""
    return re.compile(_HEAD), re.compile(_WHEEL_TABLE)


def _package(text: str, start: int, end: int) -> ScannedPackage | None:
    """The one package whose tables make up `text[start:end]`: its keys, its sdist if any, then its wheels.

    Each table right after the last; the package has a file (PEP 751: an index package has at least one), its sdist
    is of its name and version, and so is each wheel.
    """
    head_pattern, wheel_pattern = _patterns()
    head = head_pattern.match(text, start, end)
    if head is None:
        return None
    name, version, marker, python, index, sdist_name, sdist_url, sdist_sha256 = head.groups()
    position = head.end()
    found = wheel_pattern.findall(text, position, end)
    tables, *fields = zip(*found, strict=True) if found else [()]  # the whole tables, then each group's values
    if sum(map(len, tables)) != end - position:  # something between or after the wheels
        return None
    wheels = cast(
        "tuple[ScannedWheel, ...]", tuple(zip(*fields, strict=True))
    )  # four strings each: the pattern's groups
    sdist = None
    if sdist_url is not None:
        sdist = _sdist(name, version, sdist_name, sdist_url, sdist_sha256)
        if sdist is None:
            return None
    elif not wheels:
        return None
    # As corral's locker names them, every wheel's name starts so (the name part ends at the first dash):
    usual = f'\n[[packages.wheels]]\nname = "{name.replace("-", "_")}-{version}-'
    if text.count(usual, position, end) != len(wheels):
        for filename, *_ in wheels:
            name_part, _, rest = filename.partition("-")
            if not rest.startswith(f"{version}-") or not _wheel_name(name_part, name):
                return None
    return ScannedPackage(name, version, marker, python, index, sdist, wheels)


def _wheel_name(name_part: str, name: str) -> bool:
    """A wheel file name's name part (valid by the pattern) that is `name`'s (`PyYAML` for pyyaml)."""
    return "__" not in name_part and _SEPARATORS.sub("-", name_part).lower() == name


def _sdist(name: str, version: str, filename: str | None, url: str, sha256: str) -> ScannedFile | None:
    """The sdist when its file name (the `name` key, else the URL's last part) is `name`'s at `version`."""
    file_name = filename or url.rsplit("/", 1)[-1]
    if file_name.endswith(".tar.gz"):
        stem = file_name[: -len(".tar.gz")]
    elif file_name.endswith(".zip"):
        stem = file_name[: -len(".zip")]
    else:
        return None
    name_part, _, version_part = stem.rpartition("-")
    if not name_part or version_part != version or _SEPARATORS.sub("-", name_part).lower() != name:
        return None
    return (file_name, url, sha256)
