"""The seed (pip) as an entry of uv's pylock input: the very wheel uv's cache would seed, learned once, then recorded.

A bare `pip` requirement beside hashed lines is the only way uv 0.13.9 takes a seed in the same call (it refuses any
requirement beside a pylock.toml), and lines cost uv an index page per package (~30 ms of uv's CPU on a 31-package
stack, against the pylock input of `uv_input`). A pylock entry needs pip's version, wheel URL and sha256, which no
lock holds. They are learned once from uv itself: `uv pip compile --offline --no-deps --format pylock.toml` of `pip`,
with the install's own interpreter, environment and index, reads the same cached page the offline install reads and
picks the same version: the newest the page lists for that interpreter, not yanked (with `--no-deps` uv reads no
wheel or metadata for it: which wheels uv holds changes nothing; a seed line whose wheel uv lacks fails offline as the
entry does, and both go to the index). The answer is recorded in corral's cache (`seed-wheels/<digest>.json`) under
a key of everything that choice depends on: uv's binary (device, inode, size, mtime: not its ctime, which moves whenever
any env links the same file from uv's cache), the interpreter, every `UV_*` value and the folders uv's settings come
from, the stats of uv's configuration files, and the payload of each cached page of pip uv may read (`uv_seed_key`,
which the rebuild replay computes again: PyPI's page alone when the index is PyPI's, as uv files it). The payload is the
page as uv stored it from the index; uv's revalidation (a 304) rewrites only the HTTP policy after it, so a page fetched
again unchanged keeps the key, and a page that changed (a new pip, a yank) changes it: the next seeded sync learns
again. A cache folder uv does not report as its own (`uv cache dir`), no cached page, `UV_FIND_LINKS` (other files uv
may choose from), or an answer that is not one plain `py3-none-any` wheel on a host `uv_input` trusts records nothing:
the caller keeps the lines. The entry goes only into uv's input file, never into the user's pylock.toml; uv verifies
its sha256 like every locked file's, and `services.seed`'s version rules (the pip floor) run after the install as
before. A pip below that floor is never an entry: its seed line stays, and the upgrade after it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Final

from corral.core.pylock_select import Chosen

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["forget", "remember_installed", "seed_entries"]

_WHEEL: Final = r"https?://[^\s\"'\\]+/pip-([0-9][0-9A-Za-z.+!]*)-py3-none-any\.whl"  # (compiled when used)


def seed_entries(
    names: Sequence[str], env_python: Path, index: str | None, environ: Mapping[str, str], *, online: bool = False
) -> tuple[list[Chosen], Path] | None:
    """The pylock entries installing `names` (only `("pip",)`) as uv's cache would seed them, and their record.

    None: keep the lines. `index`: the lock's index the batch is installed from (the entry's `index`), `environ`:
    uv's environment for that install (its `UV_DEFAULT_INDEX` the same index). Learns and records the entry when no
    record holds; an install that fails with it `forget`s the record, so the next seeded sync learns it again.
    `online`: the install goes to the index at once (a set never installed here): the lesson asks the index for pip's
    page (one request, whatever uv's cache holds), so the entry is the index's newest pip, the one a seed line online
    would install, and the install takes the pylock input online too: lines would cost it a request per package (uv
    revalidates each cached page). The offline command the next rebuild's head start runs is then the one its sync
    ran.
    """
    if tuple(names) != ("pip",) or not index:
        return None
    key = _key(env_python, environ)
    _note(key)
    if key is not None and not online:
        record = _record_path(environ, key, index)
        found = _read(record, index)
        if found is not None:
            return ([found], record) if _meets_floor(found, env_python) else None
    elif not online:
        return None
    learned = _learn(env_python, index, environ, None if online else key)
    if learned is None:
        return None
    entry, key = learned
    _note(key)
    record = _record_path(environ, key, index)
    _write(record, entry)
    return ([entry], record) if _meets_floor(entry, env_python) else None


def _note(key: str | None) -> None:
    """The key this sync's seed entry is found under, for the rebuild record (`infra.headstart.note_seed_key`)."""
    from corral.infra import headstart

    headstart.note_seed_key(key)


def _meets_floor(entry: Chosen, env_python: Path) -> bool:
    """Whether the entry's pip is one `services.seed.freshen_pip` leaves alone (not below `toolchain.pip_floor`'s).

    A pip below it keeps the seed line, and the upgrade after it, as before: the rebuild replay (`cli.rebuild_replay`)
    checks the seeded pip's version for a seed line, so a replay never skips the upgrade the full path makes.
    """
    from corral.infra.envfiles import read_env
    from corral.toolchain.pip_floor import newest_pip_for

    try:
        python = read_env(env_python.parent.parent).version
    except OSError:
        return False
    if python is None or entry.version is None:
        return False
    have, wanted = entry.version.split("."), newest_pip_for(python).split(".")
    if not all(part.isdigit() for part in (*have, *wanted)):
        return False  # not a plain release (pip's own form): the line, as before
    width = max(len(have), len(wanted))  # 26.1 == 26.1.0, as PEP 440 compares releases
    return [*map(int, have), *[0] * (width - len(have))] >= [*map(int, wanted), *[0] * (width - len(wanted))]


def remember_installed(found: tuple[list[Chosen], Path], env_python: Path, environ: Mapping[str, str]) -> None:
    """After an install that went to the index: the entry again, under what uv's cache now holds of pip.

    The online install of the seed's line picked the newest pip of the page it read, which uv's cache now holds: the
    same version the next offline lesson would give, when it is the entry's. Spares the next seeded sync that lesson.
    """
    (entry,), record = found
    key = _key(env_python, environ)
    if key is None or entry.index is None or _installed_pip(env_python) != entry.version:
        return
    again = _record_path(environ, key, entry.index)
    if again != record and _read(again, entry.index) != entry:
        _write(again, entry)


def _installed_pip(env_python: Path) -> str | None:
    """The version of the pip in the env of `env_python` (its dist-info folder's name)."""
    from corral.core.env import Env

    try:
        names = [n for folder in Env.at(env_python.parent.parent).site_packages() for n in os.listdir(folder)]
    except OSError:
        return None
    found = [n[4 : -len(".dist-info")] for n in names if n.startswith("pip-") and n.endswith(".dist-info")]
    return found[0] if len(found) == 1 else None


def forget(record: Path) -> None:
    """Remove a record whose entry went into an install that failed (a wrong hash, a wheel gone): learned again."""
    with contextlib.suppress(OSError):
        record.unlink()


def _uv_cache(environ: Mapping[str, str]) -> Path | None:
    """The cache folder uv picks from the environment (its configuration files may name another: checked)."""
    from corral.engines.uv_seed_key import uv_cache

    found = uv_cache(environ)
    return None if found is None else Path(found)


def _key(env_python: Path, environ: Mapping[str, str]) -> str | None:
    """The digest of everything uv's choice of pip depends on (`uv_seed_key.seed_key`); None: uv holds no page of pip.

    Noted for the rebuild record (`infra.headstart.note_seed_key`): its replay computes it again (`cli.rebuild_replay`)
    and stands aside when it differs, since the full path would then learn another entry.
    """
    from corral.engines.uv_seed_key import seed_key
    from corral.infra.uvbin import uv_binary

    return seed_key(uv_binary(), os.path.realpath(env_python), environ)


def _record_path(environ: Mapping[str, str], key: str, index: str) -> Path:
    from corral.infra.paths import CorralPaths

    name = hashlib.sha256(f"{key}\n{index}".encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return CorralPaths.from_environment(environ).cache / "seed-wheels" / f"{name}.json"


def _entry(version: str, url: str, sha256: str, index: str) -> Chosen | None:
    """The lock entry of pip's wheel, or None when `uv_input` would not put it in (or it is not pip's wheel)."""
    from corral.engines.uv_input import pylock_text

    match = re.fullmatch(_WHEEL, url)
    if match is None or match.group(1) != version:
        return None  # (the sha256 is checked by `uv_input`, as every entry's)
    chosen = Chosen(
        name="pip",
        version=version,
        kind="wheel",
        url=url,
        sha256=sha256,
        filename=url.rsplit("/", 1)[-1],
        index=index,
        hashes=(sha256,),
    )
    return chosen if pylock_text([chosen]) is not None else None


def _read(path: Path, index: str) -> Chosen | None:
    """The recorded entry at `path`; None when there is none, or it is not one corral wrote for `index`."""
    try:
        with open(path, "rb") as file:
            data = json.loads(file.read(4096))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("index") != index:
        return None
    version, url, sha256 = data.get("version"), data.get("url"), data.get("sha256")
    if not (isinstance(version, str) and isinstance(url, str) and isinstance(sha256, str)):
        return None
    return _entry(version, url, sha256, index)


def _write(path: Path, entry: Chosen) -> None:
    """Record `entry` (atomically; a failure only costs the next seeded sync the same lesson)."""
    from corral.infra.fs import atomic_write_text

    data = {"index": entry.index, "version": entry.version, "url": entry.url, "sha256": entry.sha256}
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(data, sort_keys=True) + "\n")


def _learn(env_python: Path, index: str, environ: Mapping[str, str], key: str | None) -> tuple[Chosen, str] | None:
    """Ask uv which pip wheel a seed line installs from its cache, and the key it holds under; None: it cannot say.

    Offline when `key` names what uv's cache holds (the answer must be given under that same key: nothing changed
    while uv read it); else online (uv fetches pip's page, or revalidates the one it holds; no retries), keyed by what
    its cache holds afterwards.
    """
    import subprocess

    from corral.infra.environ import offline_environ
    from corral.infra.uvbin import uv_binary

    uv = uv_binary()
    env = dict(environ) if key is None else offline_environ(environ)  # offline: pip's page, no build
    compile_cmd = [uv, "pip", "compile", "--no-deps", "--format", "pylock.toml", "--no-header", "--quiet"]
    compile_cmd += ["--python", str(env_python), "-", *(["--offline"] if key is not None else [])]
    if key is None:
        env.setdefault("UV_HTTP_RETRIES", "0")  # a lesson: no ~6 s of retries before the install's own
    try:
        where = subprocess.Popen(
            [uv, "cache", "dir"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        chose = subprocess.run(
            compile_cmd, env=env, input="pip\n", capture_output=True, text=True, check=False, timeout=60
        )
        cache_dir = where.communicate(timeout=60)[0].strip()
    except (OSError, subprocess.SubprocessError):
        return None
    expected = _uv_cache(environ)
    if chose.returncode != 0 or where.returncode != 0 or expected is None:
        return None
    if os.path.realpath(cache_dir) != os.path.realpath(expected):
        return None  # uv's settings name another cache
    after = _key(env_python, environ)
    if after is None or (key is not None and after != key):
        return None  # a page changed while uv read it, or uv keeps no page of pip (the next sync could not learn)
    entry = _parse(chose.stdout, index)
    return None if entry is None else (entry, after)


def _parse(text: str, index: str) -> Chosen | None:
    """The one wheel of pip in `uv pip compile --format pylock.toml`'s output, as an entry of `index`."""
    from corral.errors import CorralError
    from corral.infra.toml_file import parse_toml

    try:
        data = parse_toml(text, origin="uv pip compile")
    except CorralError:
        return None
    packages = data.get("packages")
    if not (isinstance(packages, list) and len(packages) == 1 and isinstance(packages[0], dict)):
        return None
    package = packages[0]
    wheels = package.get("wheels")
    if package.get("name") != "pip" or not (isinstance(wheels, list) and len(wheels) == 1):
        return None
    wheel, version = wheels[0], package.get("version")
    hashes = wheel.get("hashes") if isinstance(wheel, dict) else None
    url, sha256 = (wheel.get("url"), hashes.get("sha256")) if isinstance(hashes, dict) else (None, None)
    if not (isinstance(version, str) and isinstance(url, str) and isinstance(sha256, str)):
        return None
    return _entry(version, url, sha256, index)
