"""`corral outdated`: locked packages with newer releases on the index, and whether they are allowed.

Allowed: pyproject.toml's constraints and those of the locked packages that require it (`outdated_requirers`: read
from the env's installed metadata) admit the newest release.
"""

from __future__ import annotations

import json
import re
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from corral.core.names import normalize_name
from corral.errors import EngineError, UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    from corral.services.context import Context

__all__ = ["Outdated", "fetch_all", "index_versions", "offline_refusal", "outdated"]

_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"


@dataclass(frozen=True, slots=True)
class Outdated:
    """A locked package and the newest releases: allowed by the recorded constraints, and overall."""

    name: str
    locked: str
    latest_allowed: str | None
    latest: str
    allowed: bool
    constraint: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "locked": self.locked,
            "latest_allowed": self.latest_allowed,
            "latest": self.latest,
            "allowed": self.allowed,
            "constraint": self.constraint,
        }


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.files: list[tuple[str, str | None]] = []  # (file name, data-requires-python)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            found = dict(attrs)
            if "data-yanked" in found:
                return  # PEP 592: a yanked file is no upgrade (installers skip it unless pinned exactly)
            href = found.get("href") or ""
            self.files.append((href.split("#", 1)[0].rsplit("/", 1)[-1], found.get("data-requires-python")))


def _runs_on(requires_python: str | None, python: str | None) -> bool:
    """False only when the file's Requires-Python (PEP 503 data-requires-python) excludes `python`."""
    if not requires_python or not python:
        return True
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(requires_python).contains(python, prereleases=True)
    except InvalidSpecifier:
        return True  # an unreadable Requires-Python does not hide a release


def _auth_request(url: str) -> urllib.request.Request:
    parts = urlsplit(url)
    headers = {"Accept": _ACCEPT, "User-Agent": "corral"}
    if "@" in parts.netloc:
        import base64
        from urllib.parse import unquote

        creds, host = parts.netloc.rsplit("@", 1)
        headers["Authorization"] = "Basic " + base64.b64encode(unquote(creds).encode()).decode()
        url = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return urllib.request.Request(url, headers=headers)  # noqa: S310 - index URLs are http(s) by configuration


def index_versions(index_url: str, name: str, *, timeout: float = 15, python: str | None = None) -> list[Version]:
    """Every release of `name` on a PEP 503/691 index (yanked files and unparsable names skipped).

    With `python` ("2.7.18"), only releases with a file whose Requires-Python admits it: a release the project's
    Python cannot install is no upgrade for it (requests 2.28 for a 2.7 project).
    """
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    url = index_url.rstrip("/") + "/" + normalize_name(name) + "/"
    try:
        with urllib.request.urlopen(_auth_request(url), timeout=timeout) as response:  # noqa: S310
            body = response.read().decode("utf-8", "replace")
            kind = response.headers.get("Content-Type", "")
    except OSError as err:
        code = getattr(err, "code", None)
        if code == 404:  # noqa: PLR2004
            return []
        shown = urlunsplit(urlsplit(url)._replace(netloc=urlsplit(url).netloc.rsplit("@", 1)[-1]))
        raise EngineError(f"cannot ask the index about {name} ({shown}): {err}") from err
    if "json" in kind:
        files = [
            (f["filename"], f.get("requires-python"))
            for f in json.loads(body).get("files", [])
            if not f.get("yanked")  # PEP 592/691: false, or true / the reason when yanked
        ]
    else:
        parser = _Anchors()
        parser.feed(body)
        files = parser.files
    versions = set()
    for filename, requires_python in files:
        if not _runs_on(requires_python, python):
            continue
        try:
            if filename.endswith(".whl"):
                versions.add(parse_wheel_filename(filename)[1])
            elif re.search(r"\.(tar\.gz|zip)$", filename):
                versions.add(parse_sdist_filename(filename)[1])
        except (InvalidWheelFilename, InvalidSdistFilename):  # skip odd file names
            continue
    return sorted(versions)


_WORKERS = 8  # index requests in flight at once: a page is ~1 round trip, so a few hide the latency; bounded


def offline_refusal(environ: Mapping[str, str]) -> str | None:
    """Why the index may not be asked (uv's UV_OFFLINE set true), else None."""
    if environ.get("UV_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        return "`corral outdated` asks the index, and UV_OFFLINE is set (no network); unset it to ask"
    return None


def fetch_all(tasks: Sequence[tuple[str, str]], python: str | None, *, workers: int = _WORKERS) -> list[list[Version]]:
    """`index_versions(url, name, python=python)` for each (url, name), `workers` at a time; answers in task order.

    Daemon threads: Ctrl-C (or an error) does not wait for requests in flight. The first failing task (in task
    order) raises its EngineError once every started request has ended; no new request starts after a failure.
    """
    import threading

    answers: list[list[Version] | None] = [None] * len(tasks)
    errors: dict[int, BaseException] = {}
    lock = threading.Lock()
    pending = iter(range(len(tasks)))

    def work() -> None:
        while True:
            with lock:
                if errors:
                    return
                index = next(pending, None)
            if index is None:
                return
            url, name = tasks[index]
            try:
                answers[index] = index_versions(url, name, python=python)
            except Exception as err:  # noqa: BLE001 - handed to the caller's thread, which raises it
                with lock:
                    errors[index] = err
                return

    threads = [threading.Thread(target=work, daemon=True) for _ in range(min(workers, len(tasks)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[min(errors)]
    return [answer if answer is not None else [] for answer in answers]


def outdated(ctx: Context) -> list[Outdated]:
    """Locked registry packages whose index has a newer final release (pre-releases only if locked one is).

    The entries judged are those the env holds (`services.env_lock_entries`: one per name, each marker judged for
    the env's Python), each name asked once per index, `_WORKERS` requests at a time. Raises UsageError under
    UV_OFFLINE (nothing is asked).
    """
    refusal = offline_refusal(ctx.environ)
    if refusal is not None:
        raise UsageError(refusal)
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    from corral.core.deps import ProjectDeps
    from corral.core.pylock_check import check_lock
    from corral.infra.toml_file import read_toml
    from corral.services.env_lock_entries import applying_entries, env_target
    from corral.services.lock import LOCK_FILE, ensure_lock, index_urls

    project = ctx.require_project()
    lock_path = project.root / LOCK_FILE
    if not lock_path.is_file():
        lock_path = ensure_lock(ctx, frozen=False, locked=False)
    deps = ProjectDeps.from_pyproject(project.data, source=str(project.pyproject))
    constraints: dict[str, SpecifierSet] = {}
    shown: dict[str, list[str]] = {}
    for _, text in deps.all_requirements():
        req = Requirement(text)
        key = normalize_name(req.name)
        constraints[key] = constraints.get(key, SpecifierSet()) & req.specifier
        if str(req.specifier):
            shown.setdefault(key, []).append(str(req.specifier))
    urls = index_urls(ctx)
    target = env_target(ctx)
    # what the env runs: its interpreter, else pyvenv.cfg's record
    from corral.services.legacy import env_python_version

    python = target.version if target is not None else env_python_version(project.env_path)
    packages = check_lock(read_toml(lock_path), origin=str(lock_path)).get("packages", [])
    locked: dict[str, Version] = {}
    own: dict[str, str] = {}  # the index the lock took each from: the one uv asks first (an explicit one too)
    for package in applying_entries(ctx, lock_path, packages, target=target):
        if "index" in package and "version" in package:
            locked.setdefault(normalize_name(package["name"]), Version(package["version"]))
            own.setdefault(normalize_name(package["name"]), str(package["index"]))
    tasks = _tasks(locked, own, urls, _index_spellings(ctx))
    answers = fetch_all(tasks, python)
    available: dict[str, set[Version]] = {key: set() for key in locked}
    for (_, key), versions in zip(tasks, answers, strict=True):
        available[key].update(versions)
    from corral.services.outdated_requirers import requirers

    asked = requirers(project.env_path, target.marker_env if target is not None else None)
    result = []
    for key, current in locked.items():
        candidates = [v for v in available[key] if current.is_prerelease or not v.is_prerelease]
        newer = sorted(v for v in candidates if v > current)
        if newer:
            holding = [(who, wants) for who, wants in asked.get(key, []) if normalize_name(who) in locked]
            result.append(_judged(key, current, newer, constraints.get(key, SpecifierSet()), shown.get(key), holding))
    return result


def _tasks(
    locked: Mapping[str, Version], own: Mapping[str, str], urls: Sequence[str], spelled: Mapping[str, str]
) -> list[tuple[str, str]]:
    """(index, name) to ask: a package's own index when the project names it in `[tool.uv]`, else every one.

    Its own: an explicit index its source pins it to, asked as `spelled` (the project's indexes, credential-free ->
    how to ask them: `_index_spellings`). Else every index corral resolves from now: what a new lock would ask.
    """
    tasks: list[tuple[str, str]] = []
    for key in locked:
        index = spelled.get(_bare(own[key])) if key in own else None
        tasks += [(index, key)] if index is not None else [(url, key) for url in urls]
    return tasks


def _bare(url: str) -> str:
    from corral.core.urls import strip_credentials

    return strip_credentials(url).rstrip("/")


def _index_spellings(ctx: Context) -> dict[str, str]:
    """The project's `[tool.uv]` indexes: credential-free URL -> how to ask it.

    Its URL's credentials, or a named index's `UV_INDEX_<NAME>_USERNAME`/`_PASSWORD`.
    """
    from urllib.parse import quote, urlsplit

    spelled: dict[str, str] = {}
    project = ctx.project
    if project is not None:
        from corral.core.uv_indexes import index_spellings

        for entry in index_spellings(project.data):
            name, _, url = entry.rpartition("=") if "=" in entry.split("://", 1)[0] else ("", "", entry)
            key = name.upper().replace("-", "_").replace(".", "_")
            user = ctx.environ.get(f"UV_INDEX_{key}_USERNAME") if name else None
            secret = ctx.environ.get(f"UV_INDEX_{key}_PASSWORD", "") if name else ""
            parts = urlsplit(url)
            if user and not parts.username:
                login = quote(user, safe="") + (":" + quote(secret, safe="") if secret else "")
                url = parts._replace(netloc=f"{login}@{parts.netloc}").geturl()
            if "@" in url or _bare(url) not in spelled:
                spelled[_bare(url)] = url
    return spelled


def _judged(
    key: str,
    current: Version,
    newer: list[Version],
    spec: SpecifierSet,
    shown: list[str] | None,
    holding: list[tuple[str, SpecifierSet]],
) -> Outdated:
    """The row of a package with `newer` releases: `spec` is pyproject's, `holding` what locked packages ask of it."""
    for _, wants in holding:
        spec &= wants
    allowed = [v for v in newer if spec.contains(v, prereleases=True)]
    blockers = [f"{who} needs {wants}" for who, wants in holding if not wants.contains(newer[-1], prereleases=True)]
    return Outdated(
        name=key,
        locked=str(current),
        latest=str(newer[-1]),
        latest_allowed=str(allowed[-1]) if allowed else None,
        allowed=bool(allowed) and allowed[-1] == newer[-1],
        constraint="; ".join(([", ".join(shown)] if shown else []) + blockers) or None,
    )
