"""Read an environment from disk alone: layout, pyvenv.cfg, interpreter links, packages, provenance."""

from __future__ import annotations

import os
from pathlib import Path

from corral.core.env import Env
from corral.core.frozen import Frozen
from corral.core.interpreter import LEGACY_EOL
from corral.core.provenance import PROVENANCE_FILE, Provenance
from corral.core.pyversion import python_minor
from corral.errors import EnvError
from corral.infra.envfiles import read_env

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

    from corral.core.layout import EnvLayout
    from corral.core.pylock_select import Chosen


__all__ = [
    "EnvInfo",
    "distribution_requires",
    "inspect_env",
    "installed_distributions",
    "installed_version",
    "is_environment",
    "partly_deleted_env",
    "seed_closure",
    "site_packages_dirs",
]


class EnvInfo(Frozen):
    """Everything `corral info` shows about one env."""

    __slots__ = (
        "base_home",
        "base_ok",
        "cfg",
        "creator",
        "distributions",
        "layout",
        "provenance",
        "python",
        "python_ok",
        "python_target",
        "root",
        "size",
        "system_site_packages",
        "version",
    )
    root: Path
    layout: str
    cfg: dict[str, str]
    python: str
    python_target: str | None
    python_ok: bool
    base_home: str | None
    base_ok: bool
    version: str | None
    system_site_packages: bool
    creator: str
    provenance: Provenance | None
    distributions: dict[str, str]
    size: int | None

    def __init__(
        self,
        *,
        root: Path,
        layout: str,
        cfg: dict[str, str],
        python: str,
        python_target: str | None,
        python_ok: bool,
        base_home: str | None,
        base_ok: bool,
        version: str | None,
        system_site_packages: bool,
        creator: str,
        provenance: Provenance | None,
        distributions: dict[str, str] | None = None,
        size: int | None = None,
    ) -> None:
        """The fields by name (a plain class, not a dataclass: `core.frozen`); `distributions` defaults to a new {}."""
        self._set(
            root=root,
            layout=layout,
            cfg=cfg,
            python=python,
            python_target=python_target,
            python_ok=python_ok,
            base_home=base_home,
            base_ok=base_ok,
            version=version,
            system_site_packages=system_site_packages,
            creator=creator,
            provenance=provenance,
            distributions={} if distributions is None else distributions,
            size=size,
        )

    @property
    def legacy(self) -> bool:
        """2.7 / 3.6 / 3.7 env."""
        return python_minor(self.version) in LEGACY_EOL

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "path": str(self.root),
            "layout": self.layout,
            "python": self.python,
            "python_target": self.python_target,
            "python_ok": self.python_ok,
            "base_home": self.base_home,
            "base_ok": self.base_ok,
            "version": self.version,
            "legacy": self.legacy,
            "system_site_packages": self.system_site_packages,
            "creator": self.creator,
            "made_by_corral": self.provenance is not None,
            "provenance": self.provenance.to_dict() if self.provenance else None,
            "pyvenv_cfg": self.cfg,
            "distributions": self.distributions,
            "size": self.size,
        }


def is_environment(path: Path) -> bool:
    """A folder holding a pyvenv.cfg (PEP 405)."""
    return Env.at(path).is_env()


# What an env holds beside pyvenv.cfg (venv, virtualenv, uv, corral's records): found without pyvenv.cfg, a
# deletion stopped part-way (`rm -rf` interrupted, a file manager's delete, a disk error) left them
_ENV_LEFTOVERS = ("corral-env.json", "corral-sync.json", "CACHEDIR.TAG", "bin", "Scripts", "lib", "Lib", "include")


def partly_deleted_env(path: Path) -> str | None:
    """What to say of the folder `path` when it looks like an env partly deleted (no pyvenv.cfg); None otherwise.

    Nothing is started or removed: only names are looked at (a link is no env's folder).
    """
    if path.is_symlink() or not path.is_dir() or is_environment(path):
        return None
    left = [name for name in _ENV_LEFTOVERS if os.path.lexists(path / name)]
    if not left:
        return None
    import shlex

    return (
        f"{path} looks like a partly deleted environment: it has {', '.join(left)} but no pyvenv.cfg; "
        f"`corral recreate --yes` rebuilds it when corral's own records show it made it there, else remove what is "
        f"left (`rm -rf {shlex.quote(str(path))}`) and run the command again"
    )


def read_provenance(root: Path) -> Provenance | None:
    """The record corral left in the env, if any (a garbled or wrong-typed record counts as none)."""
    from corral.errors import ConfigError
    from corral.infra.json_file import read_json_object

    try:
        return Provenance.from_dict(read_json_object(root / PROVENANCE_FILE, follow=False))
    except (OSError, ValueError, ConfigError):
        return None


def site_packages_dirs(root: Path, layout: EnvLayout) -> list[Path]:
    """Every site-packages folder in the env (found on disk, no interpreter started): `Env.site_packages`."""
    return Env.at(root, windows=layout.windows).site_packages()


def installed_distributions(site_dirs: list[Path]) -> dict[str, str]:
    """{name: version} from `*.dist-info`/`*.egg-info` metadata (names as their METADATA spells them)."""
    found: dict[str, str] = {}
    for site in site_dirs:
        for entry in sorted(os.listdir(site)):  # names, not Paths: a big env has hundreds of entries
            stem, dot, suffix = entry.rpartition(".")
            if not (dot and stem) or suffix not in _METADATA_SUFFIXES:
                continue
            headers = _metadata_headers(_metadata_file(site, entry, stem, suffix))
            name, version = _first(headers, "Name"), _first(headers, "Version")
            if name is None:
                name, _, version = (stem, "", "") if suffix == "egg-link" else stem.partition("-")
            found[name] = version or "?"
    return found


_METADATA_SUFFIXES = frozenset({"dist-info", "egg-info", "egg-link"})


def _metadata_file(site: Path, entry: str, stem: str, suffix: str) -> Path:
    """The metadata file of one site-packages entry: METADATA, PKG-INFO, or an egg-link's folder's PKG-INFO.

    An `*.egg-link` (`setup.py develop`, pip's editable install on Python 2.7) names on its first line the folder
    whose `NAME.egg-info` holds the metadata; the folder is read, never written. An unreadable link: a path that
    does not exist (no headers: the name from the file's stem).
    """
    if suffix == "dist-info":
        return site / entry / "METADATA"
    link = None if suffix == "egg-info" else _egg_link(site / entry)
    if link is None:
        return site / entry / "PKG-INFO"  # an egg-info's own; for a link that cannot be read, no such file: no headers
    return (site / link[0]) / f"{stem.replace('-', '_')}.egg-info" / "PKG-INFO"


def _egg_link(path: Path) -> tuple[str, str] | None:
    """An `*.egg-link`'s two lines: the folder holding the metadata, and the way from there to the project.

    The second is `../` for a `src/` layout, "" when absent. None when the file cannot be read, or names no path
    (empty, a NUL: os.stat raises ValueError there). Read only, never followed to anything it names.
    """
    from corral.infra.safe_read import read_small

    try:
        text = read_small(path, limit=4096, what="egg-link file", truncate=True).decode("utf-8", "replace")
    except (OSError, ValueError):
        return None
    lines = [line.strip() for line in text.splitlines()[:2]] + ["", ""]
    return None if not lines[0] or "\0" in text else (lines[0], lines[1])


def installed_version(site_dirs: list[Path], name: str) -> str | None:
    """The version of the distribution `name` (lower case) as `installed_distributions` reads it, else None.

    Only the metadata folders named for it are read (a new env's sync asks for pip's among ~30 others).
    """
    found = None
    for site in site_dirs:
        for entry in sorted(os.listdir(site)):  # names, not Paths: comparing ~30 Paths costs more than the reads
            stem, dot, suffix = entry.rpartition(".")
            if not dot or suffix not in _METADATA_SUFFIXES:
                continue
            if stem.partition("-")[0].lower().replace("_", "-").replace(".", "-") != name:
                continue
            headers = _metadata_headers(_metadata_file(site, entry, stem, suffix))
            spelled, version = _first(headers, "Name"), _first(headers, "Version")
            if spelled is None:
                spelled, _, version = stem.partition("-")
            if spelled.lower() == name:
                found = version or "?"
    return found


def installed_sources(site_dirs: list[Path], names: set[str]) -> dict[str, tuple[str, bool]]:
    """{name: (url, editable)} from the PEP 610 `direct_url.json` of each distribution of `names` (normalized).

    Only the metadata folders named for them are read; a file that is not a small JSON object naming a URL counts as
    none.
    """
    found: dict[str, tuple[str, bool]] = {}
    for key, data in direct_urls(site_dirs, names).items():
        if data is None:
            continue
        url, info = data.get("url"), data.get("dir_info")
        if isinstance(url, str):
            found[key] = (url, isinstance(info, dict) and info.get("editable") is True)
    return found


def direct_urls(site_dirs: list[Path], names: set[str]) -> dict[str, dict[str, Any] | None]:
    """{name: the `direct_url.json` object} of each distribution of `names` (normalized) that has one.

    Read without following a link; None for one that is there but is not a small JSON object (a link, a fifo,
    damaged): the distribution did not come from an index, but from where cannot be read.
    """
    from corral.errors import ConfigError
    from corral.infra.json_file import read_json_object

    found: dict[str, dict[str, Any] | None] = {}
    for site in site_dirs:
        for entry in sorted(os.listdir(site)):
            stem, dot, suffix = entry.rpartition(".")
            key = stem.partition("-")[0].lower().replace("_", "-").replace(".", "-")
            if not dot or suffix != "dist-info" or key not in names:
                continue
            record = site / entry / "direct_url.json"
            try:
                found[key] = read_json_object(record, follow=False)
            except (OSError, ValueError, ConfigError):
                if os.path.lexists(record):
                    found[key] = None
    return found


def egg_link_folder(site_dirs: list[Path], name: str) -> str | None:
    """The project folder an `*.egg-link` of `name` (normalized) names (pip's editable install on Python 2.7).

    Its first line is the folder holding the metadata, its second the way from there to the project (`../` for
    a `src/` layout). None when there is no such file or it cannot be read as one.
    """
    for site in site_dirs:
        for entry in sorted(os.listdir(site)):
            stem, _, suffix = entry.rpartition(".")
            if suffix != "egg-link" or stem.lower().replace("_", "-").replace(".", "-") != name:
                continue
            link = _egg_link(site / entry)
            if link is None or not os.path.isabs(link[0]):
                return None
            return os.path.normpath(os.path.join(link[0], link[1] or "."))
    return None


def moved_folders(site_dirs: list[Path], chosen: Sequence[Chosen], installed: Mapping[str, str]) -> list[str]:
    """The locked folders (`[packages.directory]`) installed from another folder, or editable-ness, than the lock's.

    A version names no folder: after the lock's path changed (`../libb` -> `../libc`, another checkout), the env
    kept the old folder's build while sync said it matched. Read from their `direct_url.json` (PEP 610).
    """
    from urllib.parse import unquote

    from corral.core.names import normalize_name

    have = {normalize_name(n) for n in installed}
    folders = {normalize_name(c.name): c for c in chosen if c.kind == "directory" and normalize_name(c.name) in have}
    if not folders:
        return []
    found = installed_sources(site_dirs, set(folders))
    moved = []
    for key, wanted in folders.items():
        if key not in found:
            continue  # no record of where from (an installer without PEP 610: pip < 20.1): the version decides
        url, editable = found[key]
        if unquote(url).rstrip("/") != unquote(wanted.url).rstrip("/") or editable != bool(wanted.editable):
            moved.append(wanted.name)
    return moved


def distribution_requires(site_dirs: list[Path]) -> dict[str, list[str]]:
    """{name: [Requires-Dist, ...]} of every `*.dist-info` distribution (names as their METADATA spells them)."""
    found: dict[str, list[str]] = {}
    for site in site_dirs:
        for meta_dir in sorted(site.glob("*.dist-info")):
            headers = _metadata_headers(meta_dir / "METADATA")
            name = _first(headers, "Name")
            if name:
                found[name] = [value for key, value in headers if key == "Requires-Dist"]
    return found


def seed_closure(site_dirs: list[Path]) -> frozenset[str]:
    """The seed packages (pip, setuptools, wheel) and what they need that is installed (normalised names).

    `uv venv --seed` on Python < 3.12 installs wheel, which needs `packaging`: removing it as "not in the lock"
    would break the wheel the env was seeded with. Only the seed packages' own METADATA is read (a few files),
    requirements that apply to an extra are left out.
    """
    import re

    from corral.core.names import normalize_name
    from corral.core.plan import SEED_PACKAGES

    metadata: dict[str, Path] = {}
    for site in site_dirs:
        try:
            entries = sorted(site.iterdir())
        except OSError:
            continue
        for meta_dir in entries:
            if meta_dir.suffix == ".dist-info":
                metadata.setdefault(normalize_name(meta_dir.name[: -len(".dist-info")].partition("-")[0]), meta_dir)
    keep, todo = set(SEED_PACKAGES), [name for name in sorted(SEED_PACKAGES) if name in metadata]
    while todo:
        for key, value in _metadata_headers(metadata[todo.pop()] / "METADATA"):
            if key != "Requires-Dist" or "extra" in value.partition(";")[2]:
                continue
            found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", value)
            name = normalize_name(found.group(1)) if found else None
            if name and name not in keep and name in metadata:
                keep.add(name)
                todo.append(name)
    return frozenset(keep)


_METADATA_HEAD = 1 << 20  # the headers come first; the description after them is not read


def _metadata_headers(meta: Path) -> list[tuple[str, str]]:
    """(key, value) of each header line of a METADATA/PKG-INFO file; [] when it is missing or not a regular file.

    A shipped env may hold a fifo or a link to /dev/zero there: read through `infra.safe_read`, never a hang.
    """
    from corral.infra.safe_read import read_small

    try:
        data = read_small(meta, limit=_METADATA_HEAD, what="METADATA file", truncate=True)
    except OSError:
        return []
    headers = []
    text = data.decode("utf-8", errors="replace")
    start = 0
    while True:  # line by line up to the first blank one: the description after it is never split
        end = text.find("\n", start)
        line = text[start:] if end < 0 else text[start:end]
        if not line.strip():
            break  # the headers end at the first blank line; the description follows
        key, _, value = line.partition(":")
        headers.append((key, value.strip()))
        if end < 0:
            break
        start = end + 1
    return headers


def _first(headers: list[tuple[str, str]], key: str) -> str | None:
    return next((value for k, value in headers if k == key), None)


def inspect_env(path: Path, *, with_size: bool = True, windows: bool | None = None) -> EnvInfo:
    """Describe the env at `path` from its files; EnvError when it is not an env."""
    root = path.absolute()
    if not is_environment(root):
        msg = f"{root} is not a Python environment (no pyvenv.cfg); create one with `corral venv`"
        raise EnvError(msg)
    try:
        env = read_env(root, windows=windows)
    except OSError as err:
        msg = f"cannot read {root / 'pyvenv.cfg'}: {err.strerror or err}"
        raise EnvError(msg) from err
    cfg = env.cfg
    if not cfg.home:
        msg = (
            f"{root / 'pyvenv.cfg'} is damaged: it has no `home = ...` line naming the base Python; "
            "rebuild the env with `corral recreate` (a project's) or delete it and run `corral venv`"
        )
        raise EnvError(msg)
    python = env.python
    target = os.readlink(python) if python.is_symlink() else None
    home = cfg.home
    return EnvInfo(
        root=root,
        layout=env.bin_name,
        cfg=cfg.values,
        python=str(python),
        python_target=target,
        python_ok=python.exists(),
        base_home=home,
        base_ok=bool(home) and Path(home).is_dir(),
        version=cfg.version,
        system_site_packages=cfg.system_site_packages,
        creator=cfg.creator,
        provenance=read_provenance(root),
        distributions=installed_distributions(env.site_packages()),
        size=_size(root) if with_size else None,
    )


def _size(root: Path) -> int:
    from corral.infra.fs import dir_size

    return dir_size(root)
