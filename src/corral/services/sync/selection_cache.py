"""The lock's packages chosen for one env, remembered in corral's cache.

Choosing means parsing pylock.toml (a multi-platform lock of a web stack is ~250 KB: ~50 ms of TOML) and
matching every wheel against the target's tags. The answer depends only on the lock's bytes, the
selection, the target interpreter and this machine, so it is cached under a hash of exactly those:
recreating an env, or syncing again after a bare `pip install`, skips the parse entirely.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from corral import __version__
from corral.core.pylock_select import Chosen, FileChooser, TargetFacts, package_row, select_packages, select_rows
from corral.errors import LockError
from corral.infra.toml_file import decode_text, parse_toml
from corral.services.sync.lock_bytes import lock_bytes, lock_text

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from corral.core.interpreter import InterpreterInfo
    from corral.core.pylock_scan import ScannedLock
    from corral.core.pylock_select import PackageRow
    from corral.core.selection import Selection

__all__ = ["CHECKED_FOLDER", "check_once", "choose", "lock_header", "prime"]

CHECKED_FOLDER = "lock-checked"  # beside the choices folder in corral's cache: the digests of locks that passed

# Bumped when what select_packages accepts or answers changes (2: core.pylock_check; 3: each file's index and
# its entry's hashes; 4: the files framed by their digest, `_write_entry`; 5: a file chosen written as one string,
# `_chosen_text`), so no older answer is reused.
_CHECKED = 5
_FRAME = b"corral-cache-entry sha256="  # the first line of a file `_write_entry` writes: then the rest's digest
_SEPARATOR = "\x7f"  # between the fields of a file chosen (`_chosen_text`): JSON writes it raw (ensure_ascii off)
_CHOSEN_FIELDS = 9  # a file chosen: name, version, kind, URL, sha256, file name, editable, index, hashes


def lock_header(lock_path: Path) -> dict[str, Any]:
    """The lock's top-level keys only (extras, groups, requires-python...), parsed without its packages."""
    text = lock_text(lock_path)
    head = text.split("\n[[packages]]", 1)[0].split("\n[tool", 1)[0]
    data = parse_toml(head, origin=str(lock_path))
    version = data.get("lock-version")
    if not isinstance(version, str) or version.split(".")[0] != "1":
        msg = (
            f"{lock_path}: lock-version {version!r} is not one corral reads (1.x, PEP 751); "
            "update corral or re-create the lock with `corral lock`"
        )
        raise LockError(msg)
    if "packages" in data and not isinstance(data["packages"], list):
        msg = f"{lock_path}: `packages` must be an array of tables, not {type(data['packages']).__name__}"
        raise LockError(msg)
    return data


def check_once(lock_path: Path, cache_dir: Path | None) -> None:
    """`core.pylock_check.check_lock` on the whole lock, remembered under the lock's bytes (LockError when bad).

    A new env checks its lock first; an unchanged lock (every recreate, every fresh clone of the same
    commit) is not parsed again (~60 ms for a 500 KB lock). Only a lock that passed is remembered.
    """
    data, digest = lock_bytes(lock_path)
    if _checked(digest, cache_dir):
        return
    if _scanned(data, digest, str(lock_path)) is None:  # a lock that was scanned passes check_lock
        from corral.core.pylock_check import check_lock

        check_lock(_parsed(data, digest, str(lock_path)), origin=str(lock_path))
    _remember_checked(digest, cache_dir)


_Parts = tuple[str, dict[str, Any], list[tuple[int, int]], list[str]]  # text, header, packages' spans, their digests
_LAST_PARSED: dict[str, dict[str, Any]] = {}
_LAST_SCANNED: dict[str, ScannedLock | None] = {}
_LAST_SPLIT: dict[str, _Parts | None] = {}
_CHECKED_HERE: set[str] = set()  # digests of lock bytes whose parsed data passed check_lock in this process


def _memo(digest: str, checked_dir: Path) -> Path:
    return checked_dir / f"{digest[:40]}-{__version__}-{_CHECKED}"


def _checked(digest: str, checked_dir: Path | None) -> bool:
    """True when these bytes passed `check_lock` (in this process, or as corral's cache remembers)."""
    return digest in _CHECKED_HERE or (checked_dir is not None and _memo(digest, checked_dir).is_file())


def _remember_checked(digest: str, checked_dir: Path | None) -> None:
    _CHECKED_HERE.add(digest)
    if checked_dir is not None:
        with contextlib.suppress(OSError):
            checked_dir.mkdir(parents=True, exist_ok=True)
            _memo(digest, checked_dir).touch()


def _parsed(data: bytes, digest: str, origin: str) -> dict[str, Any]:
    """The lock's TOML, parsed once per process: a new env's lock is checked, then chosen from.

    corral's own layout is read by `core.pylock_read` (~20 ms per MB, the same data), anything else by tomllib
    (~110 ms per MB).
    """
    if digest not in _LAST_PARSED:
        from corral.core.pylock_read import read_canonical

        text = decode_text(data, origin=origin)
        found = read_canonical(text)
        _LAST_PARSED.clear()
        _LAST_PARSED[digest] = found if found is not None else parse_toml(text, origin=origin)
    return _LAST_PARSED[digest]


def _scanned(data: bytes, digest: str, origin: str) -> ScannedLock | None:
    """The lock read by `core.pylock_scan` (corral's own layout: ~10 ms per MB, no TOML parser), once per process."""
    if digest not in _LAST_SCANNED:
        from corral.core.pylock_scan import scan

        _LAST_SCANNED.clear()
        _LAST_SCANNED[digest] = scan(decode_text(data, origin=origin))
    return _LAST_SCANNED[digest]


def _split(data: bytes, digest: str) -> _Parts | None:
    """The lock's text, header and packages (`core.pylock_scan.split`): each one's span and digest; once per process.

    None: not corral's own layout (which is ASCII: the digests are of the bytes, at the text's offsets).
    """
    if digest not in _LAST_SPLIT:
        from corral.core.pylock_scan import split

        _LAST_SPLIT.clear()
        text = data.decode("ascii") if data.isascii() else ""
        found = split(text) if text else None
        if found is None:
            _LAST_SPLIT[digest] = None
        else:
            view = memoryview(data)
            keys = [hashlib.sha256(view[start:end]).hexdigest()[:32] for start, end in found[1]]
            _LAST_SPLIT[digest] = (text, found[0], found[1], keys)
    return _LAST_SPLIT[digest]


def _machine_name() -> str:
    """`platform.machine()` without importing `platform` where `os.uname` answers (POSIX: the same value)."""
    if hasattr(os, "uname"):
        return os.uname().machine
    import platform

    return platform.machine()


def _machine() -> dict[str, str]:
    libc = ""
    with contextlib.suppress(AttributeError, ValueError, OSError):
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    return {
        "os": os.name,
        "platform": sys.platform,
        "machine": _machine_name(),
        "libc": libc,
        "maxsize": str(sys.maxsize),
    }


def _key(digest: str, lock_dir: Path, selection_key: str, target: InterpreterInfo) -> str:
    blob = json.dumps(
        {
            "lock": digest,
            "dir": str(lock_dir),
            "selection": selection_key,
            "marker_env": dict(target.marker_env),
            "impl": target.implementation,
            "version": target.version,
            "abiflags": target.abiflags,
            "soabi": target.soabi,
            "machine": _machine(),
            "corral": __version__,
            "checked": _CHECKED,
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def choose(
    lock_path: Path, *, target: InterpreterInfo, selection: Selection, selection_key: str, cache_dir: Path | None
) -> list[Chosen]:
    """select_packages() for `target`, served from `cache_dir` when the same question was answered before."""
    data, digest = lock_bytes(lock_path)
    return _choose(
        data,
        digest,
        lock_path,
        target=target,
        selection=selection,
        selection_key=selection_key,
        cache_dir=cache_dir,
    )


def _choose(
    data: bytes,
    digest: str,
    lock_path: Path,
    *,
    target: InterpreterInfo,
    selection: Selection,
    selection_key: str,
    cache_dir: Path | None,
) -> list[Chosen]:
    lock_dir = lock_path.parent.absolute()
    cache_file = cache_dir / f"{_key(digest, lock_dir, selection_key, target)}.json" if cache_dir else None
    if cache_file is not None:
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            found = _chosen_list(json.loads(_read_entry(cache_file)))
            if found is not None:
                return found
    checked_dir = cache_dir.parent / CHECKED_FOLDER if cache_dir else None
    chosen = _choose_scanned(data, digest, lock_path, target=target, selection=selection, cache_dir=cache_dir)
    if chosen is None:
        lock = _parsed(data, digest, str(lock_path))
        checked = _checked(digest, checked_dir)
        chosen = select_packages(
            lock, target=target, selection=selection, lock_dir=lock_dir, origin=str(lock_path), checked=checked
        )
    if not _checked(digest, checked_dir):  # a lock that was scanned passes check_lock (core.pylock_scan)
        _remember_checked(digest, checked_dir)
    if cache_file is not None and not any(map(_holds_a_user, chosen)):
        # (a lock written elsewhere may hold `https://user:token@...`: not cached)
        texts = [*map(_chosen_text, chosen)]
        if None not in texts:
            _write_entry(cache_file, json.dumps(texts, ensure_ascii=False))  # the separators kept raw
    return chosen


def _choose_scanned(
    data: bytes, digest: str, lock_path: Path, *, target: InterpreterInfo, selection: Selection, cache_dir: Path | None
) -> list[Chosen] | None:
    """`select_rows`' choice from a lock in corral's own layout (`core.pylock_scan`), None for any other lock.

    Each package's row (`package_row`) is kept in corral's cache under its text's digest, for this target and
    project (`_target_files`): a lock whose packages were read before (a `git pull` that changed a few, a lock
    rewritten with another header) has only its new packages read, and no pattern compiled when there is none.
    """
    parts = _split(data, digest)
    if parts is None:
        return None
    text, header, spans, keys = parts
    facts_file, facts, rows_file = _target_files(cache_dir, target, lock_path.parent.absolute())
    kept = _read_rows(rows_file)
    whole = _LAST_SCANNED.get(digest)  # the whole lock, when `check_once` scanned it in this process
    files = FileChooser(target, None, facts)
    rows: list[PackageRow] = []
    new = 0
    for number, ((start, end), key) in enumerate(zip(spans, keys, strict=True)):
        row = _kept_row(kept.get(key))
        if row is None:
            from corral.core.pylock_scan import scan_package

            package = whole.packages[number] if whole is not None else scan_package(text, start, end)
            if package is None:
                return None
            row = package_row(package, files)
            new += 1
        rows.append(row)
    chosen = select_rows(header, rows, target=target, selection=selection, facts=facts)
    if facts_file is not None and facts.changed:  # only a cache: the next pulled lock asks packaging again
        _write_entry(facts_file, json.dumps(facts.to_json(), sort_keys=True))
    if rows_file is not None and new and not any(row[3] is not None and _holds_a_user(row[3]) for row in rows):
        entries = dict(zip(keys, map(_row_text, rows), strict=True))
        if None not in entries.values():
            _write_entry(rows_file, json.dumps({"rows": entries}, ensure_ascii=False))  # the separators kept raw
    return chosen


def _row_text(row: PackageRow) -> str | None:
    """A package row as one string `_kept_row` reads back: its marker, requires-python and file chosen (`_chosen_text`).

    A row without a file has its name in the file's place. None: a row that cannot be (see `_chosen_text`).
    """
    name, marker, python, chosen = row
    if chosen is None:
        return _joined([_field(marker), _field(python), name])
    fields = _chosen_fields(chosen)
    return None if fields is None or chosen.name != name else _joined([_field(marker), _field(python), *fields])


def _chosen_text(chosen: Chosen) -> str | None:
    """A file chosen as one string `_chosen_of` reads back: its fields between `_SEPARATOR`s; None if it cannot be.

    One string per file, not a JSON object of its fields and a list of its hashes: JSON reads and writes a few long
    strings several times faster than thousands of short ones (the 1.1 MB lock's 221 packages hold 2556 hashes),
    which every pulled lock pays writing its choice and its rows, and every later sync reading the choice. A value
    that may be None is `=` and the value, or empty (`_field`); the hashes are joined by spaces. A scanned lock's
    values are printable ASCII (`core.pylock_scan`); a file whose values hold the separator, or a hash that is empty
    or holds a space (no lock corral writes has one), is not kept: its choice is computed again.
    """
    fields = _chosen_fields(chosen)
    return None if fields is None else _joined(fields)


def _chosen_fields(chosen: Chosen) -> list[str] | None:
    if "" in chosen.hashes or " " in "".join(chosen.hashes):  # (`in`: a memchr, where count reads each character)
        return None
    return [
        chosen.name,
        _field(chosen.version),
        chosen.kind,
        chosen.url,
        _field(chosen.sha256),
        _field(chosen.filename),
        "1" if chosen.editable else "",
        _field(chosen.index),
        " ".join(chosen.hashes),
    ]


def _joined(fields: list[str]) -> str | None:
    return None if _SEPARATOR in "".join(fields) else _SEPARATOR.join(fields)


def _field(value: str | None) -> str:
    return "" if value is None else f"={value}"


def _value(field: str) -> str | None:
    return field[1:] if field else None


def _chosen_of(fields: list[str]) -> Chosen | None:
    """The file `_chosen_fields` wrote as `fields`, or None where they are not such fields."""
    if len(fields) != _CHOSEN_FIELDS or fields[6] not in {"", "1"}:
        return None
    name, version, kind, url, sha256, filename, editable, index, hashes = fields
    return Chosen(
        name=name,
        version=_value(version),
        kind=kind,
        url=url,
        sha256=_value(sha256),
        filename=_value(filename),
        editable=editable == "1",
        index=_value(index),
        hashes=tuple(hashes.split(" ")) if hashes else (),
    )


def _chosen_list(found: Any) -> list[Chosen] | None:  # noqa: ANN401 - JSON data, checked here
    """The choice `_choose` wrote (a JSON list of `_chosen_text`s), or None where `found` is not one."""
    if not isinstance(found, list):
        return None
    chosen = []
    for text in found:
        one = _chosen_of(text.split(_SEPARATOR)) if isinstance(text, str) else None
        if one is None:
            return None
        chosen.append(one)
    return chosen


def _read_rows(path: Path | None) -> dict[str, Any]:
    """The package rows `_choose_scanned` kept at `path` (`_row_text`: `_kept_row` reads one), by their text's digest.

    {} when there are none, or the file is not one `_write_entry` wrote whole.
    """
    if path is None:
        return {}
    try:
        found = json.loads(_read_entry(path))["rows"]
    except (OSError, ValueError, TypeError, KeyError):
        return {}
    return found if isinstance(found, dict) else {}


def _kept_row(kept: Any) -> PackageRow | None:  # noqa: ANN401 - JSON data, checked here
    """A row as `_row_text` wrote it, read back only when a package's text asks for it; None: not such a row."""
    if not isinstance(kept, str):
        return None
    fields = kept.split(_SEPARATOR)
    if len(fields) == 3:  # noqa: PLR2004 - a row without a file: marker, requires-python, name
        return (fields[2], _value(fields[0]), _value(fields[1]), None)
    chosen = _chosen_of(fields[2:])
    return None if chosen is None else (chosen.name, _value(fields[0]), _value(fields[1]), chosen)


def _write_entry(path: Path, text: str) -> None:
    """Replace an entry of corral's cache with `text`: a temporary beside it, renamed over it; nothing if that fails.

    The file is not synced: a cache needs no durability. A reader sees the old file or the new one, and after a
    crash a file renamed before its data reached the disk (empty, or torn) is refused by `_read_entry`, which proves
    the text by the digest in the first line; the answer is then computed again.
    """
    try:
        data = text.encode("utf-8")  # UnicodeEncodeError (a ValueError): a lone surrogate, nothing written
    except ValueError:
        return
    framed = b"%s%s\n%s" % (_FRAME, hashlib.sha256(data).hexdigest().encode(), data)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
        try:
            os.write(fd, framed)  # one write: a regular file takes all of it or raises
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _read_entry(path: Path) -> str:
    """The text `_write_entry` wrote at `path`. Raises OSError (none), ValueError (not that text whole)."""
    data = path.read_bytes()
    head, _, text = data.partition(b"\n")
    if head != _FRAME + hashlib.sha256(text).hexdigest().encode():
        msg = f"{path}: not a whole cache entry"
        raise ValueError(msg)
    return text.decode("utf-8")


def _target_files(
    cache_dir: Path | None, target: InterpreterInfo, lock_dir: Path
) -> tuple[Path | None, TargetFacts, Path | None]:
    """Where the target's facts are kept in `cache_dir` (beside the choices), what is kept there, and its rows' file.

    `core.pylock_select.TargetFacts`: packaging's answers for this target (its wheel tags' ranks, the verdicts of the
    markers and specifiers of the locks chosen from before), so that a lock never chosen from (a `git pull`, a
    fresh clone) is chosen from without importing packaging's markers, specifiers and tags (~30-60 ms) when its
    markers were met before. Keyed by everything the answers depend on: the target as `_key` names it, this machine,
    corral's and packaging's versions. The rows' file (`_choose_scanned`) is keyed by the same and the lock's folder.
    """
    if cache_dir is None:
        return None, TargetFacts(), None
    import packaging  # its version only (packaging/__init__: no submodule)

    blob = json.dumps(
        {
            "kind": "target-facts",
            "marker_env": dict(target.marker_env),
            "impl": target.implementation,
            "version": target.version,
            "version_info": list(target.version_info),
            "abiflags": target.abiflags,
            "soabi": target.soabi,
            "machine": _machine(),
            "corral": __version__,
            "packaging": packaging.__version__,
        },
        sort_keys=True,
    )
    path = cache_dir / f"{hashlib.sha256(blob.encode()).hexdigest()[:32]}.json"
    rows_key = hashlib.sha256(json.dumps([blob, "package-rows-2", str(lock_dir)]).encode()).hexdigest()[:32]
    rows = cache_dir / f"{rows_key}.json"
    facts = None
    with contextlib.suppress(OSError, ValueError):
        facts = TargetFacts.from_json(json.loads(_read_entry(path)))
    return path, facts or TargetFacts(), rows


def _holds_a_user(chosen: Chosen) -> bool:
    """A file or index URL of `chosen` with a user part (`_names_a_user`)."""
    return _names_a_user(chosen.url) or _names_a_user(chosen.index)


def _names_a_user(url: str | None) -> bool:
    """`scheme://user[:secret]@host/...`: a URL whose authority holds a user part, which may be a credential."""
    _, sep, rest = (url or "").partition("://")
    return bool(sep) and "@" in rest.split("/", 1)[0]


def prime(
    text: str,
    lock_path: Path,
    *,
    target: InterpreterInfo,
    selections: Sequence[tuple[Selection, str]],
    cache_dir: Path,
) -> None:
    """Answer, now, what the next sync of the lock corral just wrote (`text`, at `lock_path`) will ask `choose`.

    `selections` are (selection, its stamp key) pairs; `cache_dir` the choices folder. The lock is read back from
    `text` the way `choose` reads the file and checked, so the next sync (another process) finds its answer in the
    cache instead of parsing 1 MB of TOML. Nothing is remembered for a lock that does not pass or select.
    """
    data = text.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    try:
        checked_dir = cache_dir.parent / CHECKED_FOLDER
        if not _checked(digest, checked_dir):
            if _scanned(data, digest, str(lock_path)) is None:  # a lock that was scanned passes check_lock
                from corral.core.pylock_check import check_lock

                check_lock(_parsed(data, digest, str(lock_path)), origin=str(lock_path))
            _remember_checked(digest, checked_dir)
        for selection, key in selections:
            _choose(data, digest, lock_path, target=target, selection=selection, selection_key=key, cache_dir=cache_dir)
    except Exception:  # noqa: BLE001 - only a cache: whatever fails here (a Python outside requires-python...), sync says
        return
