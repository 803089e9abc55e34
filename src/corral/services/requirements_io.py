"""requirements.txt in and out: `corral import` reads one (with `-r` nesting), `corral export` writes the pinned set."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.names import normalize_name
from corral.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from corral.core.selection import Selection
    from corral.services.add_remove import ChangeReport
    from corral.services.context import Context

__all__ = ["ParsedRequirements", "export_lock", "import_requirements", "parse_requirements_file"]

_IGNORED_OPTIONS = (
    "--index-url",
    "-i",
    "--extra-index-url",
    "--find-links",
    "-f",
    "--trusted-host",
    "--pre",
    "--prefer-binary",
    "--only-binary",
    "--no-binary",
    "--require-hashes",
    "--no-index",
    "-c",
    "--constraint",
)


_LOCAL_EXTRAS = re.compile(r"^(?P<path>[.~/\\].*?|[A-Za-z]:[/\\].*?)(?:\[(?P<extras>[^\]]*)\])?$")
# An included file named for a group: dev-requirements.txt, requirements-dev.txt, requirements_dev.in, ...
_GROUP_FILE = re.compile(
    r"^(?:(?P<before>.+?)[-_.]requirements|requirements[-_.](?P<after>.+?))\.(?:txt|in)$", re.IGNORECASE
)
# ... except names that mean "the main requirements": those stay with the file that includes them.
_MAIN_NAMES = frozenset({"base", "common", "main", "prod", "production", "runtime", "install", "requirements"})


@dataclass
class ParsedRequirements:
    """Requirement lines found (in order, without duplicates), and what was not recorded.

    `skipped`: options corral does not record; `itself`: lines naming the project itself (`-e .`, `-e .[extra]`),
    as (where, line, extras). `groups`: the requirements of included files named for a dependency group
    (`-r dev-requirements.txt` -> "dev"), which `requirements` does not hold; `itself_groups`: where -> group of
    such a file's `itself` lines. `comments`: requirement -> the comment that followed it on its line. `editable`:
    the requirements (local folders) of `-e` lines, recorded with `editable = true`.
    """

    requirements: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    itself: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)
    itself_groups: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    editable: list[str] = field(default_factory=list)


def group_of_file(path: Path) -> str | None:
    """The dependency group an included requirements file is named for, else None (it joins its includer).

    `dev-requirements.txt`, `requirements-dev.txt`, `requirements_dev.in` and `requirements/dev.txt` name "dev";
    `requirements.txt`, `base.txt`, `requirements/base.txt` or `other.txt` name none.
    """
    from corral.core.safe_text import NAME_RE

    match = _GROUP_FILE.match(path.name)
    if match:
        stem = match.group("before") or match.group("after")
    elif path.parent.name.lower() == "requirements" and path.suffix.lower() in {".txt", ".in"}:
        stem = path.stem
    else:
        return None
    name = normalize_name(stem).strip("-")
    return name if name and name not in _MAIN_NAMES and NAME_RE.match(name) else None


def _logical_lines(text: str) -> list[tuple[int, str, str]]:
    """(first line number, the logical line without comments, its comments joined) for each non-empty line."""
    out: list[tuple[int, str, str]] = []
    buffer, start, notes = "", 0, []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw
        if line.lstrip().startswith("#"):
            line = ""
        elif " #" in line or "\t#" in line:
            line, note = re.split(r"[ \t]#", line, maxsplit=1)
            notes.append(note.strip().lstrip("#").strip())
        if not buffer:
            start = number
        if line.rstrip().endswith("\\"):
            buffer += line.rstrip()[:-1] + " "
            continue
        buffer += line
        if buffer.strip():
            out.append((start, buffer.strip(), " ".join(n for n in notes if n)))
        buffer, notes = "", []
    if buffer.strip():
        out.append((start, buffer.strip(), " ".join(n for n in notes if n)))
    return out


def parse_requirements_file(  # noqa: C901 - one branch per kind of line
    path: Path,
    *,
    project_root: Path | None = None,
    _seen: tuple[Path, ...] = (),
    _into: ParsedRequirements | None = None,
    _group: str | None = None,
    _inside: str | None = None,
) -> ParsedRequirements:
    """Requirements of `path` and every file it includes with `-r`; `--hash` options dropped; cycles are errors.

    A line naming `project_root` itself (`-e .[socks]`, `.`) goes to `itself`, not to `requirements`. An included
    file named for a group (`group_of_file`) goes to `groups`, with what it includes in turn.

    A requirements file inside the project is the repository's, so what it names must be inside the project too
    (real paths): an include (`-r`, `-c`) or a local package (`-e ../x`, `../x`, `name @ file:///x`) outside it
    is refused in one line naming the file and line, before anything is read or built there. A file the user names
    outside the project is theirs, and so is what it includes.
    """
    result = _into if _into is not None else ParsedRequirements()
    if not _seen and project_root is not None and _within(os.path.abspath(project_root), os.path.abspath(path)):
        _inside = os.path.realpath(project_root)
    real = path.resolve()
    if real in _seen:
        chain = " -> ".join(p.name for p in (*_seen, real))
        raise UsageError(f"requirements files include each other in a cycle: {chain}")
    from corral.infra.safe_read import read_small
    from corral.infra.toml_file import decode_text

    try:
        text = decode_text(
            read_small(path, limit=_MAX_FILE, what="requirements file", inside=_inside), origin=str(path)
        )
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror}") from err
    for number, line, comment in _logical_lines(text):
        where = f"{path}:{number}"
        if line.startswith(("-r", "--requirement", "-c", "--constraint")):
            flag = next(f for f in ("--requirement", "--constraint", "-r", "-c") if line.startswith(f))
            included = path.parent / line[len(flag) :].lstrip("= ").strip()
            _refuse_outside(_inside, included, where, line, what="file")
            if flag in {"-c", "--constraint"}:  # not read: corral records no constraints
                result.skipped.append(f"{where}: {line} (an installer option; set index URLs in [tool.corral])")
                continue
            parse_requirements_file(
                included,
                project_root=project_root,
                _seen=(*_seen, real),
                _into=result,
                _group=group_of_file(included) or _group,
                _inside=_inside,
            )
            continue
        editable = line.startswith(("-e ", "-e\t", "--editable", "-e.", "-e/", "-e~"))  # -e./pkg as pip reads it
        target = (
            line[len("--editable" if line.startswith("--editable") else "-e") :].lstrip("= \t").strip()
            if editable
            else line
        )
        local = _local_path(path.parent, target)
        if local is not None:
            _refuse_outside(_inside, local, where, line, what="package")
        extras = _itself(path.parent, target, project_root)
        if extras is not None:
            result.itself.append((where, line, extras))
            if _group:
                result.itself_groups[where] = _group
            continue
        if editable:
            _append(
                result, _editable_entry(result, local, target, f"{where}: {line}"), where, group=_group, comment=comment
            )
            continue
        if line.startswith("-"):
            result.skipped.append(
                f"{where}: {line} (an installer option; set index URLs in [tool.corral])"
                if line.startswith(_IGNORED_OPTIONS)
                else f"{where}: {line} (unknown option)"
            )
            continue
        words = shlex.split(line, posix=True) if "--hash" in line else [line]
        requirement = " ".join(w for w in words if not w.startswith("--hash")) if len(words) > 1 else line
        _append(result, requirement.strip(), where, group=_group, comment=comment)
    return result


_MAX_FILE = 16 << 20  # a requirements file is a few KB; a pip-compile output with hashes, a few hundred


def _within(root: str, path: str) -> bool:
    try:
        return os.path.commonpath([root, path]) == root
    except ValueError:  # another drive
        return False


def _refuse_outside(inside: str | None, path: Path, where: str, line: str, *, what: str) -> None:
    """UsageError when `path` (real) leaves the project `inside`, which a requirements file in it may not name."""
    if inside is None:
        return
    real = os.path.realpath(path)
    if _within(inside, real):
        return
    if what == "file":
        rule = "include only files inside it"
        fix = f"copy the file into the project, or import it yourself with `corral import {real}`"
    else:
        rule = "name only local packages inside it (building one writes into its folder)"
        fix = f"move it into the project, or add it yourself with `corral add {real}`"
    msg = f"{where}: `{line}` names {real}, outside the project {inside}; a requirements file there may {rule}: {fix}"
    raise UsageError(msg)


def _editable_entry(result: ParsedRequirements, local: Path | None, target: str, line: str) -> str:
    """The requirement an `-e TARGET` line records: a local folder as its absolute path, listed in `editable`."""
    if local is not None and local.is_dir() and not target.rstrip().endswith("]"):
        entry = os.path.abspath(local)  # the path as named (a link kept), as `corral add --editable` has it
        result.editable.append(entry)
        return entry
    result.skipped.append(f"{line} (recorded as a plain requirement, not editable)")
    return target


def _local_path(base: Path, target: str) -> Path | None:
    """The local file or folder a requirement names (`./pkg`, `../x.whl`, `/abs`, `file:///x`, `name @ file:...`).

    None for a name from an index or a remote URL. A relative path is taken from `base` (the file's folder).
    """
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    text = target.strip()
    if "@" in text and not text.startswith(("file:", ".", "/", "~")):
        text = text.split("@", 1)[1].strip().split(";", 1)[0].strip()  # `name @ URL ; marker`
    if text.startswith("file:"):
        text = url2pathname(urlsplit(text).path)
    elif (match := _LOCAL_EXTRAS.match(text)) is not None:
        text = match.group("path")
    elif not (("/" in text or "\\" in text) and "://" not in text and (base / text).exists()):
        return None
    return base / Path(text).expanduser()


def _itself(base: Path, target: str, project_root: Path | None) -> tuple[str, ...] | None:
    """The extras of `target` when it is a path to `project_root` (`.`, `.[socks]`, `../proj`), else None."""
    match = _LOCAL_EXTRAS.match(target)
    if project_root is None or match is None:
        return None
    try:
        same = (base / match.group("path")).expanduser().resolve() == project_root.resolve()
    except OSError:
        return None
    if not same:
        return None
    return tuple(e.strip() for e in (match.group("extras") or "").split(",") if e.strip())


def _append(
    result: ParsedRequirements, requirement: str, where: str, *, group: str | None = None, comment: str = ""
) -> None:
    from corral.core.deps import parse_requirement
    from corral.errors import InvalidRequirement

    requirement = " ".join(requirement.split())
    file, _, line = where.rpartition(":")
    try:
        requirement = str(parse_requirement(requirement, where=f"{file}, line {line}"))
    except InvalidRequirement:  # a path or URL: corral add names it (or reports it) later
        if not re.search(r"[/\\:]", requirement) and not requirement.startswith((".", "~")):
            raise
    listed = result.groups.setdefault(group, []) if group else result.requirements
    if requirement and requirement not in listed:
        listed.append(requirement)
        if comment:
            result.comments.setdefault(requirement, comment)


def import_requirements(
    ctx: Context,
    files: Sequence[Path],
    *,
    group: str | None = None,
    optional: str | None = None,
    progress: Callable[[str, str], None] | None = None,
    notes: Callable[[str], None] | None = None,
) -> ChangeReport:
    """Record, lock and install every requirement of `files` (one all-or-nothing change); `notes` hears what was not.

    The files named go to `group`/`optional` (default `[project].dependencies`); a file they include that is named
    for a group (`-r dev-requirements.txt`) goes to that dependency group (`dev`). A comment after a requirement
    is written after it in pyproject.toml. A line naming the project itself is no dependency: with extras, in a
    group or extra, it is recorded as the self-reference `name[extra]` (PEP 735 and uv allow it: the project's own
    extra, inside the group); otherwise it is reported and skipped (`corral sync` installs the project itself,
    `--extra` its extras).
    """
    from corral.services.add_remove import record, target_of

    project = ctx.require_project()
    parsed = ParsedRequirements()
    for path in files:
        parse_requirements_file(ctx.cwd / path, project_root=project.root, _into=parsed)
    target = target_of(group, optional)
    placed: dict[str, list[str]] = {target: parsed.requirements}
    for name, listed in parsed.groups.items():
        placed.setdefault(f"group:{name}", []).extend(r for r in listed if r not in placed.get(f"group:{name}", []))
    said = [f"not recorded: {note}" for note in parsed.skipped]
    said += [
        f"{len(listed)} requirement(s) of included files named for group {name!r} recorded in "
        f"[dependency-groups].{name}"
        for name, listed in parsed.groups.items()
        if listed
    ]
    _place_itself(project.data.get("project"), parsed, placed, target, said)
    if notes is not None:
        for note in said:
            notes(note)
    placed = {t: listed for t, listed in placed.items() if listed}
    if not placed:
        raise UsageError(f"no requirements found in {', '.join(map(str, files))}")
    return record(ctx, placed, comments=parsed.comments, progress=progress, editable=parsed.editable)


def _place_itself(
    table: object, parsed: ParsedRequirements, placed: dict[str, list[str]], target: str, said: list[str]
) -> None:
    """Lines naming the project itself: `name[extra]` in a group or extra, else a note saying they were skipped."""
    name = table.get("name") if isinstance(table, dict) and isinstance(table.get("name"), str) else None
    for where, line, extras in parsed.itself:
        place = f"group:{parsed.itself_groups[where]}" if where in parsed.itself_groups else target
        if extras and name and place != "project":
            requirement = f"{name}[{','.join(extras)}]"
            said.append(f"{where}: {line} recorded as {requirement!r}, the project itself with that extra")
            if requirement not in placed.setdefault(place, []):
                placed[place].append(requirement)
        else:
            hint = f"; `corral sync --extra {extras[0]}` installs its extra" if extras else ""
            said.append(f"not recorded: {where}: {line} (the project itself: `corral sync` installs it{hint})")


def export_lock(
    ctx: Context,
    *,
    fmt: str = "requirements.txt",
    hashes: bool = False,
    selection: Selection | None = None,
    frozen: bool = False,
    emit_project: bool = True,
    notes: Callable[[str], None] | None = None,
) -> str:
    """The locked set as requirements.txt text (for one selection; markers kept) or the pylock.toml text.

    The project itself is the line `-e .` when `corral sync` installs it (it declares a [build-system]; `uv export`
    writes the same line), and no line with `emit_project=False` (`uv export --no-emit-project`). `.` is the
    project's folder whatever the output file: pip takes a path in a requirements file from its working directory,
    so the file is for a pip run from the project root (as uv's). The lock's own entry for the project (a locked
    package that needs it) is that line, never `name @ file:///abs`, which works on one machine only. `notes` hears
    that pip's hash-checking mode refuses the line (uv's installer does not).
    """
    from corral.services.lock import ensure_lock

    lock_path = ensure_lock(ctx, frozen=frozen, locked=False)
    from corral.core.pylock_check import check_lock
    from corral.infra.toml_file import read_text, read_toml

    data = check_lock(read_toml(lock_path), origin=str(lock_path))
    if fmt == "pylock.toml":
        return read_text(lock_path)
    if fmt != "requirements.txt":
        raise UsageError(f"unknown export format {fmt!r}; use requirements.txt or pylock.toml")
    from corral.core.marker_select import specialize
    from corral.core.selection import Selection

    extras, groups = (selection or Selection()).resolve(data)
    header = (
        f"# exported by corral from {lock_path.name}; groups: {', '.join(sorted(groups)) or 'none'}; "
        f"extras: {', '.join(sorted(extras)) or 'none'}"
    )
    lines = [header]
    if emit_project and _installs_itself(ctx):
        lines.append(_PROJECT_LINE)
        if hashes and notes is not None:
            notes(
                f"pip's hash-checking mode refuses `{_PROJECT_LINE}` (a folder has no single file to hash): for pip, "
                "export with --no-emit-project, then run `pip install --no-deps -r FILE` and `pip install --no-deps "
                "-e .` (--no-deps: pip would look for the project on the index for a package that needs it)"
            )
    root = (ctx.project.root if ctx.project else lock_path.parent).resolve()
    for package in data.get("packages", []):
        if "directory" in package and (lock_path.parent / package["directory"]["path"]).resolve() == root:
            continue  # the project itself: the line above, or none
        marker = specialize(package.get("marker"), extras=extras, groups=groups)
        if marker is False:
            continue
        line = _requirement(package, lock_path.parent, editable=not isinstance(marker, str))  # no marker on `-e`
        if isinstance(marker, str):
            line += f" ; {marker}"
        if hashes:
            digests = sorted({h for f in _files(package) if (h := f.get("hashes", {}).get("sha256"))})
            line += "".join(f" \\\n    --hash=sha256:{d}" for d in digests)
        lines.append(line)
    return "\n".join(lines) + "\n"


_PROJECT_LINE = "-e ."


def _installs_itself(ctx: Context) -> bool:
    """Whether `corral sync` installs the project (editable): it declares a build system and a name, as sync asks."""
    if ctx.project is None:
        return False
    table = ctx.project.data.get("project")
    named = isinstance(table, dict) and isinstance(table.get("name"), str)
    return named and isinstance(ctx.project.data.get("build-system"), dict)


def _files(package: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(package.get("wheels", []))
    out.extend(package[key] for key in ("sdist", "archive") if isinstance(package.get(key), dict))
    return out


def _requirement(package: dict[str, Any], base: Path, *, editable: bool = True) -> str:
    name = package["name"]
    if "vcs" in package:
        vcs = package["vcs"]
        subdirectory = f"#subdirectory={vcs['subdirectory']}" if vcs.get("subdirectory") else ""
        return f"{name} @ {vcs.get('type', 'git')}+{vcs['url']}@{vcs['commit-id']}{subdirectory}"
    if "directory" in package:
        path = (base / package["directory"]["path"]).resolve()
        if editable and package["directory"].get("editable"):  # as `corral sync` installs it (a URL: path spaces)
            from corral.engines._reqfile import PLAIN_PATH

            return f"-e {path}" if PLAIN_PATH.fullmatch(str(path)) else f"-e {path.as_uri()}"
        return f"{name} @ {path.as_uri()}"
    if "archive" in package and "url" in package["archive"]:
        return f"{name} @ {package['archive']['url']}"
    local = [t for t in (package.get("archive"), package.get("sdist"), *package.get("wheels", [])) if _local_file(t)]
    if len(local) == 1:  # a file from this machine: `name==version` would ask the index for any file of that name
        return f"{name} @ {(base / local[0]['path']).resolve().as_uri()}"
    return f"{name}=={package['version']}"


def _local_file(table: object) -> bool:
    return isinstance(table, dict) and isinstance(table.get("path"), str) and "url" not in table


def write_output(text: str, output: Path | None, *, project_root: Path | None = None) -> None:
    """Write `text` atomically to `output` (the CLI prints it when there is no file).

    A symlink at `output` is written through when it leads inside the project holding `output` (else inside
    the folder holding it): a repository may ship `requirements.txt -> ~/.bashrc`.
    """
    import os

    from corral.infra.fs import atomic_write_text

    if output is None:
        return
    root = output.parent
    if project_root is not None:
        real_root = os.path.realpath(project_root)
        try:
            if os.path.commonpath([real_root, os.path.realpath(output.parent)]) == real_root:
                root = project_root
        except ValueError:  # another drive
            pass
    atomic_write_text(output, text, root=root)
