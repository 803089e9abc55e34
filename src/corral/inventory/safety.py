"""The one place that decides whether a folder may be deleted.

corral deletes only a folder it can prove is an environment; any doubt is a refusal with the reason.
`refusal(...)` returns that reason (a sentence fragment) or None when deleting is safe. `judge(...)` also
returns the folder's identity (st_dev, st_ino), and `Verdict.recheck(tree)` runs the proof again on the folder
opened for deletion (infra.rmtree), so what is deleted is exactly what was judged.

The proof, read through the folder's descriptor with no symlink followed:

- not `/`, your home, the current folder or project, nor a folder holding one; owned by you;
- a regular `pyvenv.cfg` (at most 64 KiB) with a `home` key;
- an interpreter: bin/python, python2, python3 or pythonX.Y (a link counts, even a dangling one) or
  Scripts/python.exe; and site-packages: lib/pythonX.Y/, lib/pypyX.Y/ or Lib/site-packages;
- nothing at top level but what env creators and corral put there (ENV_NAMES), no project marker, no
  mount point inside.

corral's own record excuses unknown top-level names (and, for recreate, a damaged structure): an inventory
row made by corral itself whose folder identity is this folder's (the same path, or a sibling corral renamed
into place). A file inside the folder (corral-env.json) can be forged by whoever ships the folder; that
record cannot.

Two narrower rules serve the folders corral is in the middle of making, named by its own journal:
`half_made(path)` (an env a killed `creating` left: nothing at top level but what a creator makes) and
`build_refusal(path, token)` (a recreate's sibling build, `.NAME.corral-new-TOKEN` / `-old-TOKEN`).
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from corral.core.provenance import PROVENANCE_FILE
from corral.core.pyvenv_cfg import PyvenvCfg
from corral.infra.markers import CORRAL_TEMP_RE, RECREATE_ID_FILE, TOKEN_RE
from corral.infra.rmtree import OpenedTree, TreeChanged, identity, mounts_below, open_folder

if TYPE_CHECKING:
    from corral.infra.paths import CorralPaths

__all__ = [
    "ENV_NAMES",
    "PROJECT_MARKERS",
    "Verdict",
    "build_refusal",
    "half_made",
    "is_corral_temp",
    "judge",
    "refusal",
]

PROJECT_MARKERS: Final = ("pyproject.toml", "setup.py", "setup.cfg", ".git", ".hg", "requirements.txt", "Pipfile")
_MAX_CFG: Final = 64 * 1024

# Everything an env's top level holds, as made by uv 0.13, python -m venv 3.6-3.13, virtualenv 20.21.1 (2.7)
# and 21.x, pyenv-virtualenv, plus what installs and tools add (share/ etc/ man/ from data files, uv's .lock,
# old pip's selfcheck, macOS .Python and .DS_Store, pipenv's .project, tox's .tox-info.json) and corral's
# own files. Value: the kinds allowed, d = folder, f = regular file, l = symlink.
ENV_NAMES: Final[dict[str, str]] = {
    "bin": "d",
    "Scripts": "d",
    "lib": "d",
    "Lib": "d",
    "lib64": "ld",
    "include": "d",
    "Include": "d",
    "share": "d",
    "etc": "d",
    "man": "d",
    "local": "d",
    "pyvenv.cfg": "f",
    ".gitignore": "f",
    "CACHEDIR.TAG": "f",
    ".lock": "f",
    "pip-selfcheck.json": "f",
    "selfcheck.json": "f",
    ".Python": "lf",
    ".DS_Store": "f",
    ".project": "f",
    ".tox-info.json": "f",
    "corral-env.json": "f",
    "corral-sync.json": "f",
    "corral-ready.json": "f",
    RECREATE_ID_FILE: "f",
}
_FOLDED: Final = {name.lower() if os.name == "nt" else name: kinds for name, kinds in ENV_NAMES.items()}
_PYTHON: Final = re.compile(r"^python(\d(\.\d+)?)?$")
_LIB_PYTHON: Final = re.compile(r"^(python\d\.\d+|pypy\d*(\.\d+)?)$")


def is_corral_temp(name: str) -> bool:
    """True for the name of a temporary file corral's atomic writes leave when killed (`.NAME.corral-XXXX.tmp`)."""
    return bool(CORRAL_TEMP_RE.match(name))


def half_made(path: str | os.PathLike[str]) -> bool:
    """Whether a killed creation's env may go (only for the folder corral's own `creating` journal names).

    It must be a real folder of the current user whose top level holds only what a creator makes (and corral's
    unfinished writes).
    """
    try:
        st = os.lstat(path)
        names = os.listdir(path)
    except OSError:
        return False
    geteuid = getattr(os, "geteuid", None)
    return (
        stat.S_ISDIR(st.st_mode)
        and (geteuid is None or st.st_uid == geteuid())
        and all(name in ENV_NAMES or is_corral_temp(name) for name in names)
    )


def build_refusal(path: Path, token: str) -> str | None:
    """Why `path` is not a sibling folder a recreate made under `token` (None: it is, and it may go).

    The name carries the journal's random token (`.NAME.corral-new-TOKEN`, `.NAME.corral-old-TOKEN`), so no folder
    corral did not make can match it.
    """
    if not TOKEN_RE.match(token) or not path.name.startswith(".") or not path.name.endswith(f"-{token}"):
        return "it is not a folder `corral recreate` made"
    return None


def _real(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


def _is_same_or_parent(candidate: str, other: str) -> bool:
    """`candidate` equals `other` or is one of its parents (both real, normcased)."""
    try:
        return os.path.commonpath([candidate, other]) == candidate
    except ValueError:  # different drives
        return False


@dataclass(slots=True)
class _Rules:
    """What one judgement asked for, kept so the proof can be run again on the opened folder."""

    given: str
    real: str
    require_corral: bool
    allow_broken: bool
    paths: CorralPaths | None
    _recorded: bool | None = field(default=None)

    def recorded(self, ident: tuple[int, int]) -> bool:
        """Whether corral's inventory says corral made this very folder (looked up once, only when needed)."""
        if self._recorded is None:
            self._recorded = _recorded_by_corral(self.paths, (self.given, self.real), ident)
        return self._recorded


@dataclass(frozen=True, slots=True)
class Verdict:
    """A judgement: the refusal reason (None: may be deleted) and the identity of the folder judged."""

    reason: str | None
    identity: tuple[int, int] | None = None
    _rules: _Rules | None = None

    def recheck(self, tree: OpenedTree) -> str | None:
        """The proof again, on the folder opened for deletion; a reason when it no longer holds."""
        if self.reason is not None or self._rules is None:
            return self.reason or "it was not judged"
        if tree.identity != self.identity:
            return "it is no longer the folder that was checked (it was moved or replaced)"
        folder = _Folder(tree.fd, tree.path)
        try:
            return _proof(folder, folder.own_stat(), tree.identity, self._rules)
        except OSError as err:
            return f"it could not be examined ({err.strerror or err})"


def refusal(
    path: str | os.PathLike[str],
    *,
    home: Path,
    cwd: Path,
    project_root: Path | None = None,
    require_corral: bool = False,
    allow_broken_corral_env: bool = False,
    paths: CorralPaths | None = None,
) -> str | None:
    """Why `path` must not be deleted, or None when it is provably an env that is safe to remove.

    `require_corral` (gc) also demands corral's provenance record whose `location` is this folder.
    `allow_broken_corral_env` (recreate) accepts a damaged env when corral's inventory (in `paths`) records
    making this very folder; that record also excuses top-level names no env creator makes.
    """
    return judge(
        path,
        home=home,
        cwd=cwd,
        project_root=project_root,
        require_corral=require_corral,
        allow_broken_corral_env=allow_broken_corral_env,
        paths=paths,
    ).reason


def judge(
    path: str | os.PathLike[str],
    *,
    home: Path,
    cwd: Path,
    project_root: Path | None = None,
    require_corral: bool = False,
    allow_broken_corral_env: bool = False,
    paths: CorralPaths | None = None,
) -> Verdict:
    """`refusal`, with the identity of the folder judged and what `Verdict.recheck` needs."""
    given = os.path.normpath(os.path.abspath(os.fspath(path)))
    reason, st = _first_look(os.fspath(path), given)
    if reason or st is None:
        return Verdict(reason or "it does not exist")
    changed = "it changed while corral was checking it (moved, replaced or made a symlink)"
    try:  # realpath fails (EINVAL) when a link on the way is swapped for a folder meanwhile
        real = _real(given)
        reason = _protected(real, home=home, cwd=cwd, project_root=project_root)
        if reason:
            return Verdict(reason)
        tree = OpenedTree.open(given, expect=identity(st))
    except TreeChanged:
        return Verdict(changed)
    except OSError as err:
        return Verdict(changed if err.errno == errno.EINVAL else f"it cannot be opened ({err.strerror or err})")
    with tree:
        ident = tree.identity
        reason = _protected_identity(ident, home=home, cwd=cwd, project_root=project_root)
        if reason:
            return Verdict(reason)
        rules = _Rules(
            given=given, real=real, require_corral=require_corral, allow_broken=allow_broken_corral_env, paths=paths
        )
        folder = _Folder(tree.fd, tree.path)
        try:
            reason = _proof(folder, folder.own_stat(), ident, rules)
        except OSError as err:  # the folder itself is held open: only its contents can change under the proof
            reason = f"it could not be examined ({err.strerror or err})"
    return Verdict(reason, ident, rules) if reason is None else Verdict(reason)


def _first_look(raw: str, given: str) -> tuple[str | None, os.stat_result | None]:
    """The path's own shape: no '..', exists, a real folder (a reason otherwise) and its lstat."""
    if ".." in Path(raw).parts:
        return "the path contains '..'; pass the env's path without it", None
    try:
        st = os.lstat(given)
    except OSError:
        return "it does not exist", None
    if stat.S_ISLNK(st.st_mode):
        try:
            target = os.readlink(given)
        except OSError:
            target = "?"
        return f"it is a symlink (to {target}); corral deletes only real env folders", None
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a folder", None
    return None, st


def _proof(  # noqa: PLR0911 - one reason per step
    folder: _Folder,
    st: os.stat_result,
    ident: tuple[int, int],
    rules: _Rules,
) -> str | None:
    """Owner, pyvenv.cfg, structure, top-level names and mounts of an opened folder (None: provably an env)."""
    reason = _foreign_owner(st)
    if reason:
        return reason
    try:
        names = folder.names()
    except OSError as err:
        return f"its contents cannot be listed ({err.strerror or err})"
    marker = _project_marker(names)
    reason = _bad_cfg(folder)
    if reason is None and marker:  # an env-looking project: the marker says more than a missing bin/ would
        return marker
    reason = reason or _no_structure(folder, names)
    if reason and not (rules.allow_broken and rules.recorded(ident)):
        return reason
    reason = marker or _mount_inside(folder)
    if reason:
        return reason
    reason = _strangers(folder, names)
    if reason and not rules.recorded(ident):
        return reason
    if rules.require_corral:
        return _not_corral(folder, rules.real)
    return None


def _protected(real: str, *, home: Path, cwd: Path, project_root: Path | None) -> str | None:
    if real == _real(os.path.abspath(os.sep)) or os.path.dirname(real) == real:
        return "it is the file system root"
    home_real = _real(str(home))
    if _is_same_or_parent(real, home_real):
        return "it is your home folder" if real == home_real else f"it holds your home folder {home}"
    cwd_real = _real(str(cwd))
    if _is_same_or_parent(real, cwd_real):
        return "it is the current folder" if real == cwd_real else f"it holds the current folder {cwd}"
    if project_root is not None and _is_same_or_parent(real, _real(str(project_root))):
        return f"it is (or holds) the current project {project_root}"
    return None


def _protected_identity(ident: tuple[int, int], *, home: Path, cwd: Path, project_root: Path | None) -> str | None:
    """The opened folder is not home, cwd or the project, nor one of their parents (by identity, not by name)."""
    for what, folder in (
        ("your home folder", home),
        ("the current folder", cwd),
        ("the current project", project_root),
    ):
        if folder is None:
            continue
        try:
            here = os.path.realpath(folder)
        except OSError:
            here = os.path.abspath(folder)
        while True:
            try:
                if identity(os.stat(here)) == ident:
                    return f"it is (or holds) {what} {folder}"
            except OSError:
                pass
            up = os.path.dirname(here)
            if up == here:
                break
            here = up
    return None


def _foreign_owner(st: os.stat_result) -> str | None:
    """Another user's folder is theirs to delete, even when we could (root)."""
    geteuid = getattr(os, "geteuid", None)
    if geteuid is None:  # Windows: ownership is not a uid
        return None
    mine = geteuid()
    if st.st_uid == mine:
        return None
    try:
        import pwd

        owner = pwd.getpwuid(st.st_uid).pw_name
    except (ImportError, KeyError):
        owner = f"uid {st.st_uid}"
    return f"it belongs to another user ({owner}), not to you (uid {mine}); only its owner may remove it"


def _bad_cfg(folder: _Folder) -> str | None:
    cfg_stat = folder.lstat("pyvenv.cfg")
    if cfg_stat is None:
        return "it has no pyvenv.cfg, so it is not provably an environment"
    if not stat.S_ISREG(cfg_stat.st_mode):
        return "its pyvenv.cfg is not a regular file"
    if cfg_stat.st_size > _MAX_CFG:
        return f"its pyvenv.cfg is {cfg_stat.st_size} bytes, too big to be one"
    try:
        cfg = PyvenvCfg.parse(folder.read("pyvenv.cfg", _MAX_CFG).decode("utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        return f"its pyvenv.cfg cannot be read ({err})"
    if not cfg.home:
        return "its pyvenv.cfg has no `home` key, so it is not provably an environment"
    return None


def _no_structure(folder: _Folder, names: list[str]) -> str | None:
    if not _has_interpreter(folder, names):
        return (
            "it has no interpreter (bin/python, python3 or pythonX.Y, or Scripts/python.exe), "
            "so it is not provably an environment"
        )
    if not _has_site_packages(folder, names):
        return (
            "it has no site-packages folder (lib/pythonX.Y/site-packages or Lib/site-packages), "
            "so it is not provably an environment"
        )
    return None


def _is_program(st: os.stat_result | None) -> bool:
    return st is not None and (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode))


def _is_folder(st: os.stat_result | None) -> bool:
    return st is not None and stat.S_ISDIR(st.st_mode)


def _has_interpreter(folder: _Folder, names: list[str]) -> bool:
    for top in names:
        if (
            _fold(top) == _fold("bin")
            and _is_folder(folder.lstat(top))
            and any(_PYTHON.match(n) and _is_program(folder.lstat(top, n)) for n in folder.names(top))
        ):
            return True
        if _fold(top) == _fold("Scripts") and _is_program(folder.lstat(top, "python.exe")):
            return True
    return False


def _has_site_packages(folder: _Folder, names: list[str]) -> bool:
    for top in names:
        if _fold(top) not in {_fold("lib"), _fold("Lib")} or not _is_folder(folder.lstat(top)):
            continue
        if _is_folder(folder.lstat(top, "site-packages")):  # Windows: Lib/site-packages
            return True
        for sub in folder.names(top):
            if _LIB_PYTHON.match(sub) and _is_folder(folder.lstat(top, sub, "site-packages")):
                return True
    return False


def _project_marker(names: list[str]) -> str | None:
    present = {_fold(n) for n in names}
    for marker in PROJECT_MARKERS:
        if _fold(marker) in present:
            return f"it contains {marker}, a sign of a project rather than an environment"
    return None


def _mount_inside(folder: _Folder) -> str | None:
    found = mounts_below(folder.fd) if folder.fd is not None else []
    if not found:
        return None
    shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")  # noqa: PLR2004
    return f"a mount point is inside it ({shown}); unmount it first (corral never deletes across a mount)"


def _strangers(folder: _Folder, names: list[str]) -> str | None:
    """Top-level entries no env creator makes (user files, a `src`, docs...), each checked by kind too."""
    odd = []
    for name in sorted(names):
        st = folder.lstat(name)
        if st is None:  # gone meanwhile
            continue
        kind = (
            "d"
            if stat.S_ISDIR(st.st_mode)
            else "l"
            if stat.S_ISLNK(st.st_mode)
            else "f"
            if stat.S_ISREG(st.st_mode)
            else "?"
        )  # ?: a fifo, socket or device
        allowed = _FOLDED.get(_fold(name), "f" if CORRAL_TEMP_RE.match(name) else "")
        if kind not in allowed:
            odd.append(name + ("/" if kind == "d" else ""))
    if not odd:
        return None
    shown = ", ".join(odd[:4]) + (f" and {len(odd) - 4} more" if len(odd) > 4 else "")  # noqa: PLR2004
    return (
        f"it holds {shown} at its top level, which no environment holds, and corral has no record of making "
        "this folder; delete it yourself if it really is an env"
    )


def _not_corral(folder: _Folder, real: str) -> str | None:
    try:
        data = json.loads(folder.read(PROVENANCE_FILE, _MAX_CFG).decode("utf-8"))
    except (OSError, ValueError):
        return f"corral did not make it (no {PROVENANCE_FILE}); remove it yourself or with `corral envs rm`"
    location = data.get("location") if isinstance(data, dict) else None
    if not isinstance(location, str) or _real(location) != real:
        return (
            f"its {PROVENANCE_FILE} says it was made at {location}, not here; "
            "check it and remove it with `corral envs rm`"
        )
    return None


def _recorded_by_corral(paths: CorralPaths | None, where: tuple[str, str], ident: tuple[int, int]) -> bool:
    """An inventory row corral wrote when it made a folder with this identity, here or in the same parent."""
    if paths is None:
        return False
    from corral.inventory.store import Store

    try:
        with Store.open(paths) as store:
            records = store.all()
    except Exception:  # noqa: BLE001 - no readable inventory means no record: the proof stands alone
        return False
    parents = {os.path.dirname(p) for p in where}
    for record in records:
        if not record.made_by_corral or record.extra.get("identity") != list(ident):
            continue
        if record.path in where or os.path.dirname(record.path) in parents:
            return True
    return False


def _fold(name: str) -> str:
    return name.lower() if os.name == "nt" else name


class _Folder:
    """Read-only looks into one folder through its descriptor (its path on Windows); no symlink is followed."""

    def __init__(self, fd: int | None, path: str) -> None:
        self.fd = fd
        self.path = path

    def own_stat(self) -> os.stat_result:
        """The folder's own stat."""
        return os.fstat(self.fd) if self.fd is not None else os.lstat(self.path)

    def names(self, *parts: str) -> list[str]:
        """The entries of the folder or of a real subfolder of it ([] when that is missing or a link)."""
        if self.fd is None:
            if parts and not _is_folder(self.lstat(*parts)):
                return []
            return os.listdir(os.path.join(self.path, *parts))
        if not parts:
            return os.listdir(self.fd)
        fd = self._open(parts)
        if fd is None:
            return []
        try:
            return os.listdir(fd)
        finally:
            os.close(fd)

    def lstat(self, *parts: str) -> os.stat_result | None:
        """The lstat of an entry (every folder on the way must be a real folder); None when missing."""
        try:
            if self.fd is None:
                for depth in range(1, len(parts)):
                    if not _is_folder(os.lstat(os.path.join(self.path, *parts[:depth]))):
                        return None
                return os.lstat(os.path.join(self.path, *parts))
            if len(parts) == 1:
                return os.stat(parts[0], dir_fd=self.fd, follow_symlinks=False)
            fd = self._open(parts[:-1])
            if fd is None:
                return None
            try:
                return os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
            finally:
                os.close(fd)
        except OSError:
            return None

    def read(self, name: str, limit: int) -> bytes:
        """Up to `limit` bytes of a regular file at the top level, never through a symlink."""
        if self.fd is None:
            with open(os.path.join(self.path, name), "rb") as handle:
                return handle.read(limit)
        flags = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(name, flags, dir_fd=self.fd)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(0, "not a regular file", name)
            chunks = []
            while limit > 0:
                chunk = os.read(fd, limit)
                if not chunk:
                    break
                chunks.append(chunk)
                limit -= len(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def _open(self, parts: tuple[str, ...]) -> int | None:
        """A new descriptor of the real subfolder `parts` (None when a step is missing or not a real folder)."""
        assert self.fd is not None  # noqa: S101 - only called on the descriptor path
        current = self.fd
        for part in parts:
            try:
                opened: int | None = open_folder(part, dir_fd=current)
            except OSError:
                opened = None
            if current != self.fd:
                os.close(current)
            if opened is None:
                return None
            current = opened
        return current
