"""Choose a pylock.toml's packages and files for a TARGET interpreter (PEP 751 "Installation").

`packaging.pylock.Pylock.select` implements the spec's algorithm (markers with `extras` /
`dependency_groups`, requires-python, one entry per name, best wheel by tags, sdist fallback). corral feeds
it the target's marker environment (probed from the env's own interpreter) and the target's wheel tags,
never those of the Python corral runs on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from corral.core.frozen import Frozen
from corral.core.names import normalize_name as normalize
from corral.errors import LockError, UsageError

if TYPE_CHECKING:
    from packaging.tags import Tag

    from corral.core.interpreter import InterpreterInfo
    from corral.core.pylock_scan import ScannedLock, ScannedPackage, ScannedWheel
    from corral.core.selection import Selection

_NORMAL_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # packaging's normalized name: canonicalizing keeps it

__all__ = [
    "Chosen",
    "FileChooser",
    "PackageRow",
    "TargetFacts",
    "index_base",
    "package_row",
    "select_packages",
    "select_rows",
    "select_scanned",
    "target_tags",
]


class Chosen(Frozen):
    """One package to install and the file (or source) chosen for it."""

    __slots__ = ("editable", "filename", "hashes", "index", "kind", "name", "sha256", "url", "version")
    name: str  # normalized
    version: str | None
    kind: str  # "wheel" | "sdist" | "archive" | "directory" | "vcs"
    url: str  # a URL the engine can fetch (file:// for local paths)
    sha256: str | None
    filename: str | None
    editable: bool
    index: str | None  # the simple index the lock took the file from (base URL, no project part)
    hashes: tuple[str, ...]  # sha256 of every file of this entry (all its wheels and its sdist)

    def __init__(
        self,
        *,
        name: str,
        version: str | None,
        kind: str,
        url: str,
        sha256: str | None = None,
        filename: str | None = None,
        editable: bool = False,
        index: str | None = None,
        hashes: tuple[str, ...] = (),
    ) -> None:
        """The fields by name (a plain class, not a dataclass: `core.frozen`)."""
        self._set(
            name=name,
            version=version,
            kind=kind,
            url=url,
            sha256=sha256,
            filename=filename,
            editable=editable,
            index=index,
            hashes=hashes,
        )

    def requirement_line(self) -> str:
        """`name @ url --hash=sha256:...` for a hash-checked requirements file."""
        line = f"{self.name} @ {self.url}"
        return f"{line} --hash=sha256:{self.sha256}" if self.sha256 else line

    @property
    def hashed(self) -> bool:
        """True for files with a recorded sha256 (wheels, sdists, archives)."""
        return self.sha256 is not None

    @property
    def from_index(self) -> bool:
        """True when the lock took this wheel or sdist from an index: it is installed as `name==version`.

        Not for a local folder of files (`find-links`, a `format = "flat"` index: a `file:` index), which no
        installer reads as a PEP 503 index: such a file is installed by its own URL, hash-checked.
        """
        local = self.index is not None and self.index[:5].lower() == "file:"
        return bool(self.index and self.version and self.sha256 and self.kind in ("wheel", "sdist")) and not local


class TargetFacts:
    """What `select_scanned` asks packaging about one target, kept so that a later choice need not import it.

    `ranks`: each wheel tag the target accepts (`interpreter-abi-platform`, and compressed tag sets once met) and its
    rank, best 0, with `worst` a rank past all (`_ranks`); `markers`: a marker's verdict under a selection
    (`marker_key`); `specifiers`: whether a requires-python specifier contains the target's full version. Each is
    exactly what packaging answered for this target (the caller keys the facts by the target, the platforms and
    packaging's version); only answers are kept, never a refusal, which packaging is asked for again and says why.
    `changed`: something was learned since the facts were read (the caller writes them back).
    """

    __slots__ = ("changed", "markers", "ranks", "specifiers", "worst")

    def __init__(
        self,
        *,
        ranks: dict[str, int] | None = None,
        worst: int = 0,
        markers: dict[str, bool] | None = None,
        specifiers: dict[str, bool] | None = None,
    ) -> None:
        """The facts as read back (`from_json`), or none yet."""
        self.ranks = ranks
        self.worst = worst
        self.markers: dict[str, bool] = {} if markers is None else markers
        self.specifiers: dict[str, bool] = {} if specifiers is None else specifiers
        self.changed = False

    @staticmethod
    def marker_key(marker: str, extras: frozenset[str], groups: frozenset[str]) -> str:
        """The key of `marker`'s verdict under a selection (extras and groups are normalized names: no `;` or `,`)."""
        return f"{','.join(sorted(extras))};{','.join(sorted(groups))};{marker}"

    def to_json(self) -> dict[str, Any]:
        """The facts as JSON data (`from_json` reads them back)."""
        return {"ranks": self.ranks, "worst": self.worst, "markers": self.markers, "specifiers": self.specifiers}

    @classmethod
    def from_json(cls, data: object) -> TargetFacts | None:
        """The facts `to_json` wrote, or None for anything else (a damaged or foreign file: packaging is asked)."""
        if not isinstance(data, dict):
            return None
        ranks, worst, markers, specifiers = (data.get(k) for k in ("ranks", "worst", "markers", "specifiers"))
        if not (
            (ranks is None or isinstance(ranks, dict))
            and type(worst) is int
            and isinstance(markers, dict)
            and isinstance(specifiers, dict)
            and all(type(v) is int and 0 <= v <= worst for v in (ranks or {}).values())
            and all(type(v) is bool for v in (*markers.values(), *specifiers.values()))
        ):
            return None
        return cls(ranks=ranks, worst=worst, markers=markers, specifiers=specifiers)


def target_tags(info: InterpreterInfo, *, platforms: Sequence[str] | None = None) -> list[Tag]:
    """The wheel tags the target interpreter accepts, best first.

    `platforms` default to this machine's (`packaging.tags.platform_tags()`): the target runs on the same
    machine as corral, only its Python differs. ABIs come from the target's own abiflags/SOABI.
    """
    from packaging import tags

    plats = list(platforms) if platforms is not None else list(tags.platform_tags())
    version = info.version_info[:2]
    nodot = f"{version[0]}{version[1]}"
    impl = info.implementation.lower()
    if impl == "cpython":
        abis = [f"cp{nodot}{info.abiflags}"]
        found = list(tags.cpython_tags(version, abis, plats))
        found += tags.compatible_tags(version, f"cp{nodot}", plats)
        return list(dict.fromkeys(found))
    short = {"pypy": "pp", "ironpython": "ip", "jython": "jy"}.get(impl, impl)
    abis = ["_".join(info.soabi.split("-")[:2]).replace(".", "_")] if info.soabi else []
    interpreter = f"{short}{nodot}"
    found = list(tags.generic_tags(interpreter, abis, plats))
    found += tags.compatible_tags(version, interpreter, plats)
    return list(dict.fromkeys(found))


def select_packages(
    lock: Mapping[str, Any],
    *,
    target: InterpreterInfo,
    selection: Selection,
    lock_dir: Path,
    platforms: Sequence[str] | None = None,
    origin: str | None = None,
    checked: bool = False,
) -> list[Chosen]:
    """The lock's packages for `target` under `selection`, each with the file to install.

    `origin` names the lock file in errors (default: `lock_dir/pylock.toml`). The data is validated first
    (`core.pylock_check`): a lock ships with the repository, and its urls and paths reach the engines. `checked`:
    the caller knows this very data passed `check_lock` (corral's cache remembers the digests of locks that did).

    Raises:
        UsageError: unknown group or extra names.
        LockError: invalid lock, Python outside requires-python, ambiguous entries, or no usable file.

    """
    if not checked:
        from corral.core.pylock_check import check_lock

        lock = check_lock(lock, origin=origin or str(lock_dir / "pylock.toml"))
    from packaging.pylock import (
        PackageArchive,
        PackageDirectory,
        PackageSdist,
        PackageVcs,
        PackageWheel,
        Pylock,
        PylockSelectError,
        PylockUnsupportedVersionError,
        PylockValidationError,
    )

    try:
        pylock = Pylock.from_dict(dict(lock))
    except (PylockValidationError, PylockUnsupportedVersionError) as err:
        msg = f"the lock file is not a valid PEP 751 pylock.toml: {err}; run `corral lock` to rewrite it"
        raise LockError(msg) from err
    extras, groups = selection.resolve(lock)
    environment = dict(target.marker_env) or None
    chosen: list[Chosen] = []
    try:
        for package, source in pylock.select(
            environment=environment,  # type: ignore[arg-type]
            tags=target_tags(target, platforms=platforms),
            extras=extras,
            dependency_groups=groups,
        ):
            name, version = str(package.name), str(package.version) if package.version else None
            if isinstance(source, (PackageWheel, PackageSdist, PackageArchive)):
                sha = (source.hashes or {}).get("sha256")
                if not sha:
                    msg = f"{name} {version} has no sha256 hash in the lock; corral installs only hash-checked files"
                    raise LockError(msg)
                kind = {PackageWheel: "wheel", PackageSdist: "sdist"}.get(type(source), "archive")
                url = _location(source.url, source.path, lock_dir, name)
                filename = getattr(source, "filename", None) or url.rsplit("/", 1)[-1]
                index = index_base(package.index, name) if package.index and source.url else None
                chosen.append(
                    Chosen(
                        name=name,
                        version=version,
                        kind=kind,
                        url=url,
                        sha256=sha,
                        filename=filename,
                        index=index,
                        hashes=_entry_hashes(package, wheels_only=kind == "wheel") if index else (),
                    )
                )
            elif isinstance(source, PackageDirectory):
                folder = (lock_dir / source.path).resolve()
                chosen.append(
                    Chosen(
                        name=name,
                        version=version,
                        kind="directory",
                        url=folder.as_uri(),
                        editable=bool(source.editable),
                    )
                )
            elif isinstance(source, PackageVcs):
                base = source.url or _location(None, source.path, lock_dir, name)
                url = f"{source.type}+{base}@{source.commit_id}"
                if source.subdirectory:
                    url += f"#subdirectory={source.subdirectory}"
                chosen.append(Chosen(name=name, version=version, kind="vcs", url=url))
    except PylockSelectError as err:
        msg = f"the lock cannot be installed into Python {target.version} ({target.path}): {err}"
        raise LockError(msg) from err
    return chosen


def select_scanned(
    lock: ScannedLock,
    *,
    target: InterpreterInfo,
    selection: Selection,
    platforms: Sequence[str] | None = None,
    facts: TargetFacts | None = None,
) -> list[Chosen] | None:
    """What `select_packages` answers for a lock `core.pylock_scan` read, or None where it would refuse the lock.

    packaging evaluates each distinct marker and requires-python once, as `Pylock.select` does (`_wanted`); the
    wheel is packaging's choice (the best tag's rank, the first wheel of that rank), ranked by the file names' tags
    against `target_tags`. At any refusal (an unknown group, a package for another Python, two entries of one name
    selected, no usable file, a marker packaging cannot evaluate) the answer is None: the caller asks
    `select_packages`, which says why. `facts`: what packaging answered for this target and `platforms` before
    (`TargetFacts`): used where they hold the answer, packaging asked (and the facts taught) where not.
    """
    facts = TargetFacts() if facts is None else facts
    files = FileChooser(target, platforms, facts)
    rows = [package_row(package, files) for package in lock.packages]
    return select_rows(lock.header, rows, target=target, selection=selection, facts=facts)


PackageRow = tuple[str, "str | None", "str | None", "Chosen | None"]  # name, marker, requires-python, file chosen


def package_row(package: ScannedPackage, files: FileChooser) -> PackageRow:
    """What `select_rows` needs of one scanned package: its name, marker, requires-python and `files.choose`'s file.

    The row depends on the package's text and the target alone (not on the selection or the other packages), so a
    caller may keep it for that text and target (`services.sync.selection_cache` does).
    """
    return (package.name, package.marker, package.requires_python, files.choose(package))


class FileChooser:
    """The file packaging installs for a scanned package on one target, whatever the markers (`choose`)."""

    __slots__ = ("_bases", "facts", "platforms", "target")

    def __init__(self, target: InterpreterInfo, platforms: Sequence[str] | None, facts: TargetFacts) -> None:
        self.target, self.platforms, self.facts = target, platforms, facts
        self._bases: dict[str, str] = {}  # index URL -> its base (`index_base`), for URLs that are no project page

    def choose(self, package: ScannedPackage) -> Chosen | None:
        """The best wheel for the target's tags (`_best_wheel`), else the sdist; None: no file packaging would take."""
        facts = self.facts
        if facts.ranks is None:
            facts.ranks, facts.worst = _ranks(self.target, self.platforms)
            facts.changed = True
        ranks = facts.ranks
        known = len(ranks)
        wheels = package.wheels
        source = _best_wheel(wheels, ranks, facts.worst)
        facts.changed = facts.changed or len(ranks) != known  # `_best_wheel` learned a compressed tag set's rank
        kind = "wheel"
        hashes = tuple(dict.fromkeys(wheel[3] for wheel in wheels))
        if source is None:
            source, kind = package.sdist, "sdist"
            if source is None:
                return None
            hashes = tuple(dict.fromkeys((*hashes, source[2])))
        name, index = package.name, package.index_url
        base = self._bases.get(index) if "/simple/" not in index else None  # a project page is cut per name
        if base is None:
            base = self._bases[index] = index_base(index, name)
        filename, url, sha256 = source
        return Chosen(
            name=name,
            version=package.version,
            kind=kind,
            url=url,
            sha256=sha256,
            filename=filename,
            index=base,
            hashes=hashes,
        )


def select_rows(
    header: Mapping[str, Any],
    rows: Sequence[PackageRow],
    *,
    target: InterpreterInfo,
    selection: Selection,
    facts: TargetFacts,
) -> list[Chosen] | None:
    """`select_scanned`'s answer from the lock's top-level keys (`header`) and each package's row (`package_row`)."""
    try:
        extras, groups = selection.resolve(header)
        wanted = _wanted(header, [(row[1], row[2]) for row in rows], target, extras, groups, facts)
    except (UsageError, LockError):
        return None
    if wanted is None:
        return None
    chosen: list[Chosen] = []
    seen: set[str] = set()
    for name, marker, python, choice in rows:
        if (marker, python) not in wanted:
            continue
        if name in seen or choice is None:
            return None
        seen.add(name)
        chosen.append(choice)
    return chosen


def _ranks(target: InterpreterInfo, platforms: Sequence[str] | None) -> tuple[dict[str, int], int]:
    """Each wheel tag `target` accepts (as `interpreter-abi-platform`) and its rank, best 0; and a rank past all."""
    tags = target_tags(target, platforms=platforms)
    ranks: dict[str, int] = {}
    for rank, tag in enumerate(tags):
        ranks.setdefault(str(tag), rank)
    return ranks, len(tags)


def _wanted(
    header: Mapping[str, Any],
    markers: list[tuple[str | None, str | None]],
    target: InterpreterInfo,
    extras: frozenset[str],
    groups: frozenset[str],
    facts: TargetFacts,
) -> set[tuple[str | None, str | None]] | None:
    """The (marker, requires-python) pairs of the lock `packaging.pylock` selects for `target`; None where it refuses.

    What `Pylock.from_dict` and `Pylock.select` check and evaluate, each distinct marker and specifier once, and only
    where every packaging corral takes (26.1+) agrees: lock-version 1.0, no `environments`, extras and groups in their
    normal form, a target Python version without a `+`. A marker or specifier `facts` holds packaging's answer to is
    not given to packaging again (`_Verdicts`: the rest, which `facts` learns).
    """
    environment = dict(target.marker_env)
    full = environment.get("python_full_version", "+")
    names = (*header["extras"], *extras, *groups)
    if header["lock-version"] != "1.0" or full.endswith("+") or not all(map(_NORMAL_NAME.fullmatch, names)):
        return None
    pairs = dict.fromkeys(markers)
    python = header.get("requires-python")
    ask = _Verdicts(facts, {**environment, "extras": extras, "dependency_groups": groups}, full)
    wanted: set[tuple[str | None, str | None]] = set()
    try:
        ask.read([m for m, _ in pairs], [python, *(p for _, p in pairs)])
        if python is not None and not ask.contains(python):
            return None
        for pair in pairs:
            marker, specifier = pair
            if marker is not None and not ask.evaluate(marker):
                continue
            if specifier is not None and not ask.contains(specifier):
                return None
            wanted.add(pair)
    except ValueError:  # packaging's InvalidMarker, InvalidSpecifier, UndefinedComparison, UndefinedEnvironmentName
        return None  # what select_packages says as a LockError, or raises again
    return wanted


class _Verdicts:
    """packaging's answers for one target and selection, from `facts` where it holds them, else asked (and learned).

    packaging is imported only when a marker or specifier is not in `facts`. Each answer is packaging's own for the
    same text and environment; a refusal (ValueError: an invalid marker or specifier, a comparison packaging cannot
    make) is raised, never learned.
    """

    __slots__ = ("_parsed", "_selection", "facts", "full", "lock_env", "markers", "specifiers")

    def __init__(self, facts: TargetFacts, lock_env: dict[str, Any], full: str) -> None:
        self.facts, self.lock_env, self.full = facts, lock_env, full
        extras, groups = lock_env["extras"], lock_env["dependency_groups"]
        self.markers: dict[str, str] = {}  # marker text -> its key in facts.markers
        self.specifiers: dict[str, Any] = {}  # specifier text -> packaging's SpecifierSet, where facts lack it
        self._parsed: dict[str, Any] = {}  # marker key -> packaging's Marker, where facts lack it
        self._selection = (extras, groups)

    def read(self, markers: list[str | None], specifiers: list[str | None]) -> None:
        """Every marker and specifier read before any is evaluated (as `Pylock.from_dict`): raises at an invalid one."""
        extras, groups = self._selection
        for text in markers:
            if text is not None and text not in self.markers:
                key = self.markers[text] = TargetFacts.marker_key(text, extras, groups)
                if key not in self.facts.markers:
                    from packaging.markers import Marker

                    self._parsed[key] = Marker(text)
        for text in specifiers:
            if text is not None and text not in self.facts.specifiers and text not in self.specifiers:
                from packaging.specifiers import SpecifierSet

                self.specifiers[text] = SpecifierSet(text)

    def evaluate(self, text: str) -> bool:
        """The marker's verdict (read first)."""
        key = self.markers[text]
        found = self.facts.markers.get(key)
        if found is None:
            try:
                found = bool(self._parsed[key].evaluate(self.lock_env, context="lock_file"))
            except KeyError as err:  # packaging's UndefinedEnvironmentName: a refusal like the others
                raise ValueError(str(err)) from err
            self.facts.markers[key] = found
            self.facts.changed = True
        return found

    def contains(self, text: str) -> bool:
        """Whether the specifier (read first) contains the target's full Python version."""
        found = self.facts.specifiers.get(text)
        if found is None:
            found = self.facts.specifiers[text] = bool(self.specifiers[text].contains(self.full))
            self.facts.changed = True
        return found


def _best_wheel(wheels: tuple[ScannedWheel, ...], ranks: dict[str, int], worst: int) -> tuple[str, str, str] | None:
    """The wheel packaging chooses: the one whose best tag ranks first among the target's, the first such in the lock.

    `ranks` holds each tag's rank and learns each compressed tag set's (`py2.py3-none-any`: the best of its tags).
    """
    best, best_rank = None, worst
    for wheel in wheels:
        tags = wheel[1]
        rank = ranks.get(tags)
        if rank is None:  # a compressed tag set or capitals (or a tag the target does not take): each of its tags
            interpreters, abis, platforms = tags.lower().split("-")
            rank = ranks[tags] = min(
                ranks.get(f"{interpreter}-{abi}-{platform}", worst)
                for interpreter in interpreters.split(".")
                for abi in abis.split(".")
                for platform in platforms.split(".")
            )
        if rank < best_rank:
            best, best_rank = wheel, rank
    return None if best is None else (best[0], best[2], best[3])


def index_base(index: str, name: str) -> str:
    """The index's base URL: a project page (`.../simple/<name>/`) is cut back to `.../simple/`.

    PEP 751 asks for the index's base URL, but a lock written by another tool may name the project's own
    page; only a last path segment that is this package's name right after a `simple` segment is cut, so an
    index whose base URL merely ends in some word is kept as it is.
    """
    parts = urlsplit(index)
    base, _, last = parts.path.rstrip("/").rpartition("/")
    if base.lower().endswith("/simple") and normalize(last) == normalize(name):
        return urlunsplit((parts.scheme, parts.netloc, base + "/", parts.query, ""))
    return index


def _entry_hashes(package: Any, *, wheels_only: bool) -> tuple[str, ...]:  # noqa: ANN401 - a packaging.pylock.Package
    """The sha256 of each file of `package` the installer may take for it.

    The installer picks among the locked wheels by its own tag order, so every wheel's hash is given; the sdist's only
    when corral chose the sdist. Were it given beside a chosen wheel, a wheel hash that does not match (a damaged or
    edited lock) would send the installer to build the sdist instead of refusing.
    """
    files = [*(package.wheels or ()), *((package.sdist,) if package.sdist and not wheels_only else ())]
    return tuple(dict.fromkeys(h for f in files if (h := (f.hashes or {}).get("sha256"))))


def _location(url: str | None, path: str | None, lock_dir: Path, name: str) -> str:
    if url:
        return url
    if path:
        return (lock_dir / path).resolve().as_uri()
    msg = f"the lock names no url or path for a file of {name}"
    raise LockError(msg)
