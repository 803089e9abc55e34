"""The key of a recorded seed entry (`engines.uv_seed`): everything uv's offline choice of pip reads, as one digest.

uv's binary (device, inode, size, mtime: not its ctime, which moves whenever any env links the same file from uv's
cache), the interpreter, every `UV_*` value and the folders uv's settings come from, the stats of uv's configuration
files, and the payload of each cached page of pip uv may read (`page_state`: PyPI's page alone when the index is
PyPI's, as uv files it). `engines.uv_seed` records an entry under it; the rebuild replay (`cli.rebuild_replay`)
computes it again to know that the full path would find the same entry. Only os, zlib and `infra.sha256` (`_sha2`
for pages under 256 KiB: pip's is ~77 KB) are imported (no pathlib, glob, re or hashlib): the replay runs it
while uv installs.
"""

from __future__ import annotations

import os

from corral.infra.environ import TLS_ONLY

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["FORMAT", "page_state", "seed_key", "uv_cache"]

FORMAT = 2  # of the record file (in its key, so a new format never reads an old one)
# Where uv reads its settings from, besides `UV_*` (uv's own config discovery; it runs in `/`: engine_environ).
_SETTING_ROOTS = ("HOME", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_CACHE_HOME")
_PAGE_LIMIT = 64 << 20  # a cached page of pip is ~80 KB
_FOOTER = 12  # uv's cache entry ends with the CRC-32 of its tail (4 bytes) and the payload's length (8)
_ENTRY_ID = 16  # the random id uv writes after the payload of each new response
_PYPI = "https://pypi.org/simple"  # uv files this index's pages under `pypi` (any other spelling: `index/<id>`)


def _sha256_hex(data: bytes) -> str:
    from corral.infra.sha256 import hexdigest  # no OpenSSL load for small data

    return hexdigest(data)


def uv_cache(environ: Mapping[str, str]) -> str | None:
    """The cache folder uv picks from the environment (its configuration files may name another: checked)."""
    if environ.get("UV_NO_CACHE", "").lower() in {"1", "true", "yes", "on"}:
        return None
    named = environ.get("UV_CACHE_DIR")
    if named:
        return _joined(named)
    xdg = environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return _joined(xdg, "uv")
    home = environ.get("HOME")
    return _joined(home, ".cache", "uv") if home else None


def _joined(*parts: str) -> str:
    """`str(Path(*parts))` of POSIX paths: `//` and `.` parts collapsed, no trailing `/` (what the key has held)."""
    text = os.path.join(*parts)
    lead = "//" if text.startswith("//") and not text.startswith("///") else "/" if text.startswith("/") else ""
    kept = [part for part in text.split("/") if part not in ("", ".")]
    return lead + "/".join(kept) or "."


def _config_files(environ: Mapping[str, str]) -> list[str]:
    """The files uv may read settings from when it runs in `/` (user, system, and `/`'s own)."""
    home = environ.get("HOME", "")
    user = environ.get("XDG_CONFIG_HOME") or (os.path.join(home, ".config") if home else "")
    system = [d for d in environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(":") if d]
    files = [os.path.join(user, "uv", "uv.toml")] if user else []
    files += [os.path.join(d, "uv", "uv.toml") for d in system]
    files += ["/etc/uv/uv.toml", "/uv.toml", "/pyproject.toml"]
    named = environ.get("UV_CONFIG_FILE")
    return [named, *files] if named else files


def _stat(path: str) -> str:
    """A file's identity for the key (`-` when it is absent)."""
    try:
        st = os.stat(path)
    except OSError:
        return "-"
    return f"{st.st_dev},{st.st_ino},{st.st_size},{st.st_mtime_ns},{st.st_ctime_ns}"


def binary_state(path: str) -> str:
    """The binary of uv for the key: the file (device, inode) and its content's stamp (size, mtime); `-` when absent.

    Not its ctime: pip and uv install uv's wheel by hard links from uv's cache, so the binary is one inode shared by
    every env that holds uv, and each link made or removed anywhere moves its ctime. Another uv is another file
    (an install writes a new one) or new content (a new mtime).
    """
    try:
        st = os.stat(path)
    except OSError:
        return "-"
    return f"{st.st_dev},{st.st_ino},{st.st_size},{st.st_mtime_ns}"


def page_state(path: str) -> str:
    """The identity of a cached page: the SHA-256 of its payload, or the file's stat when that cannot be read.

    uv (0.13.9) stores a response as its payload, a 16-byte entry id, the HTTP cache policy, the CRC-32 of
    (id, policy, payload length) and the payload length. A new response replaces the file; a 304 (the page
    unchanged) rewrites only what follows the payload. The payload is what an offline command reads of the page;
    a file that does not check out as that layout (another uv's format, a write under way) is taken by its stat,
    which any write changes.
    """
    import zlib

    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            data = file.read(size) if size <= _PAGE_LIMIT else b""
    except OSError:
        return f"stat {_stat(path)}"
    if len(data) >= _FOOTER + _ENTRY_ID:
        checksum = int.from_bytes(data[-_FOOTER:-8], "little")
        length = int.from_bytes(data[-8:], "little")
        tail = data[length:-_FOOTER] if length <= len(data) - _FOOTER - _ENTRY_ID else b""
        if tail and zlib.crc32(tail + data[-8:]) == checksum:
            return f"payload {length} {_sha256_hex(data[:length])}"
    return f"stat {_stat(path)}"


def _folders(parent: str, *, prefix: str = "") -> list[str]:
    """`glob(parent/<prefix>*)`'s folders: names not hidden (glob's `*` skips them), links to folders included."""
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    found = [os.path.join(parent, n) for n in names if n.startswith(prefix) and not n.startswith(".")]
    return [path for path in found if os.path.isdir(path)]


def _cache_state(cache: str, index: str | None) -> list[str]:
    """Each cached page of pip uv may read for `index`, with its payload's identity; [] when uv holds none.

    The pages under `simple-v*`: PyPI's (`pypi/pip.rkyv`) for PyPI's index, else every index's, since which
    `index/<id>` is this index's is uv's own digest.
    """
    pages = []
    for simple in _folders(cache, prefix="simple-v"):
        buckets = [os.path.join(simple, "pypi")]
        if index != _PYPI:
            buckets += _folders(os.path.join(simple, "index"))
        pages += [page for page in (os.path.join(b, "pip.rkyv") for b in buckets) if os.path.lexists(page)]
    return [f"{path} {page_state(path)}" for path in sorted(pages)]


def _chooses(name: str) -> bool:
    """A variable that may change uv's choice of pip: its settings, not what only says whom to trust online.

    uv runs the seed's install `--offline` without the certificate settings (`infra.environ.TLS_ONLY`), while the
    seed is chosen with the caller's environment: counting them would tell the two apart (a replay declined).
    """
    return (name.startswith("UV_") or name in _SETTING_ROOTS) and name not in TLS_ONLY


def seed_key(uv: str, python: str, environ: Mapping[str, str]) -> str | None:
    """The digest of everything uv's choice of pip depends on; None when uv's cache holds no page of pip.

    `uv`: uv's binary (`infra.uvbin.uv_binary`); `python`: the real path of the interpreter the install targets;
    `environ`: uv's environment for that install.
    """
    cache = uv_cache(environ)
    if cache is None or environ.get("UV_FIND_LINKS"):
        return None
    known = _cache_state(cache, environ.get("UV_DEFAULT_INDEX"))
    if not known:
        return None
    parts = [
        f"format {FORMAT}",
        f"uv {uv} {binary_state(uv)}",
        f"python {python} {_stat(python)}",
        *(f"env {k}={v}" for k, v in sorted(environ.items()) if _chooses(k)),
        *(f"config {path} {_stat(path)}" for path in _config_files(environ)),
        f"cache {cache}",
        *(f"known {entry}" for entry in known),
    ]
    return _sha256_hex("\n".join(parts).encode("utf-8", "surrogateescape"))[:32]
