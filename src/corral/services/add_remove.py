"""`corral add` / `corral remove`: change the recorded requirements, lock, install, and only then commit.

Order of work (nothing installed goes unrecorded; the configuration is sacred):
1. validate every requirement (PEP 508; local paths and bare URLs are named by uv and recorded as `name @ URL`);
2. edit a copy of pyproject.toml with tomlkit (the user's comments and layout survive);
3. lock the copy (existing pins kept) into a candidate pylock beside the real one;
4. install the candidate into the project env (`services.sync.apply.apply_lock`);
5. replace pyproject.toml and pylock.toml together (`services.transaction`).
Any failure or Ctrl-C before 5 leaves both files byte-identical; if 4 failed halfway, the old lock is re-applied.

A local path (`corral add ../lib`) is recorded as uv records it: the bare name in the dependencies and
`lib = { path = "../lib" }` in `[tool.uv.sources]`, relative to the project (a PEP 508 URL cannot be relative, and
`name @ file:///absolute/path` held only on the machine that added it). `remove` drops the source of a name no
requirement names any more. `name @ URL` given as such is recorded as written.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.deps import parse_requirement
from corral.core.names import normalize_name
from corral.errors import ConfigError, CorralError, InvalidRequirement, LockError, NoSpace, UsageError
from corral.infra.faults import checkpoint
from corral.infra.journals import pending
from corral.infra.markers import ATOMIC_SUFFIX, CANDIDATE_PREFIX
from corral.services.env_snapshot import EnvSnapshot

if TYPE_CHECKING:
    from corral.core.local_paths import PathSource
    from corral.core.selection import Selection
    from corral.resolvers.uv import Plan
    from corral.services.context import Context

__all__ = [
    "ChangeReport",
    "add",
    "edit_pyproject",
    "path_sources",
    "record",
    "remove",
    "resolve_local",
    "resolve_requirement",
    "target_of",
    "with_sources",
]

Progress = Callable[[str, str], None]
_URLISH = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True, slots=True)
class ChangeReport:
    """What add/remove recorded and what the lock and env did."""

    action: str
    target: str
    requirements: list[str]
    lock: dict[str, Any] = field(default_factory=dict)
    sync: dict[str, Any] = field(default_factory=dict)
    placed: dict[str, list[str]] = field(default_factory=dict)  # target -> requirements, when there are several

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "action": self.action,
            "target": self.target,
            "requirements": self.requirements,
            "placed": self.placed or {self.target: self.requirements},
            "lock": self.lock,
            "sync": self.sync,
        }


def target_of(group: str | None, optional: str | None) -> str:
    """Human name of where requirements go: project, group:NAME, extra:NAME."""
    if group and optional:
        raise UsageError("choose one of --group/--dev and --optional, not both")
    if group:
        return f"group:{normalize_name(group)}"
    if optional:
        return f"extra:{normalize_name(optional)}"
    return "project"


def resolve_requirement(ctx: Context, text: str) -> str:
    """A PEP 508 requirement as it will be recorded; paths and bare URLs get their name from uv."""
    return resolve_local(ctx, text)[0]


def resolve_local(ctx: Context, text: str) -> tuple[str, Path | None]:
    """`resolve_requirement`'s answer, and the local file or folder `text` names as a path (else None)."""
    stripped = text.strip()
    local = Path(stripped).expanduser()
    looks_local = stripped.startswith((".", "/", "~")) or (
        not _URLISH.match(stripped) and (ctx.cwd / local).exists() and ("/" in stripped or "\\" in stripped)
    )
    if not looks_local and not _URLISH.match(stripped):
        parse_requirement(stripped, hint="write it like 'name>=1.0', 'name @ URL' or ./path")
        return stripped, None
    path = None
    if looks_local:
        path = Path(os.path.abspath(ctx.cwd / local))  # a link kept: the path the user named, as uv records it
        if not path.exists():
            raise InvalidRequirement(f"{text!r}: no such file or folder {path}")
        url = path.as_uri()
    else:
        url = stripped
    return f"{_name_from_uv(ctx, url, text)} @ {url}", path


def _name_from_uv(ctx: Context, url: str, shown: str) -> str:
    from corral.infra import proc
    from corral.infra.environ import engine_environ
    from corral.infra.uvbin import uv_binary
    from corral.services.lock import lock_python

    cmd = [uv_binary(), "pip", "compile", "-", "--no-deps", "--no-header", "--no-annotate", "--quiet"]
    python, legacy = lock_python(ctx), None
    if python:
        from corral.services.legacy import legacy_lock_interpreter

        if legacy_lock_interpreter(ctx, python) is not None:  # uv cannot start Python 2.7: its name read by ours
            import sys

            python, legacy = sys.executable, python
        cmd += ["--python", python]
    done = proc.run(cmd, stdin=url + "\n", env=engine_environ(ctx.environ), check=False, what="uv pip compile")
    for line in done.stdout.splitlines():
        if " @ " in line:
            return line.split(" @ ", 1)[0].strip()
    named = _name_from_setup_py(ctx, legacy, url) if legacy else None
    if named is not None:
        return named
    from corral.resolvers.uv import resolve_failure

    _, reason = resolve_failure(done.stderr)
    hint = f"; name it yourself: corral add 'NAME @ {url}'" if legacy else ""
    raise InvalidRequirement(f"cannot read a package name from {shown!r}: {reason}{hint}")


def _name_from_setup_py(ctx: Context, python: str, url: str) -> str | None:
    """The name `python setup.py --name` prints in a local folder (a Python 2-only setup.py Python 3 cannot read)."""
    from urllib.parse import unquote, urlsplit
    from urllib.request import url2pathname

    from corral.infra import proc
    from corral.infra.environ import engine_environ

    parts = urlsplit(url)
    folder = Path(url2pathname(unquote(parts.path))) if parts.scheme == "file" else None
    if folder is None or not (folder / "setup.py").is_file():
        return None
    cmd = [python, "setup.py", "--name"]
    done = proc.run(cmd, cwd=folder, env=engine_environ(ctx.environ), check=False, timeout=120, what="setup.py --name")
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or not lines or not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", lines[-1]):
        return None
    return lines[-1]


def edit_pyproject(  # noqa: C901, PLR0912
    text: str,
    requirements: Sequence[str],
    *,
    target: str,
    remove: bool = False,
    comments: Mapping[str, str] | None = None,
) -> str:
    """pyproject.toml text with `requirements` added to (or names removed from) `target`, formatting kept.

    `comments`: a comment for an added requirement (what followed it in a requirements file), written after it.
    """
    import tomlkit
    from packaging.requirements import Requirement

    doc = tomlkit.parse(text)
    kind, _, name = target.partition(":")
    new_table = not remove and _adds_table(doc, kind)
    if new_table and not text.endswith("\n"):
        doc = tomlkit.parse(text + "\n")  # else tomlkit writes the new table's header right after the last line
    from corral.services.foreign import refuse_ignored

    refuse_ignored(doc.unwrap())  # Poetry/PDM tables, dynamic dependencies: never edited around
    if kind != "group" and "project" not in doc:
        msg = (
            "pyproject.toml has no [project] table, and one holding only dependencies would make the project "
            "unbuildable (a [project] needs a name); run `corral init` first (for a setup.py/setup.cfg project "
            "it records the metadata setuptools builds); nothing was changed"
        )
        raise UsageError(msg)
    if kind == "project":
        project = doc.setdefault("project", tomlkit.table())
        array = project.setdefault("dependencies", tomlkit.array())
    elif kind == "extra":
        project = doc.setdefault("project", tomlkit.table())
        tables = project.setdefault("optional-dependencies", tomlkit.table())
        key = next((k for k in tables if normalize_name(k) == name), name)
        if remove and key not in tables:
            raise UsageError(
                f"there is no extra {name!r} in [project.optional-dependencies]" + _elsewhere(doc, requirements)
            )
        array = tables.setdefault(key, tomlkit.array())
    else:
        groups = doc.setdefault("dependency-groups", tomlkit.table())
        key = next((k for k in groups if normalize_name(k) == name), name)
        if remove and key not in groups:
            raise UsageError(
                f"there is no dependency group {name!r} in [dependency-groups]" + _elsewhere(doc, requirements)
            )
        array = groups.setdefault(key, tomlkit.array())
    names = {normalize_name(r if remove else Requirement(r).name): r for r in requirements}

    def entry_name(item: Any) -> str | None:  # noqa: ANN401
        if not isinstance(item, str):
            return None
        with contextlib.suppress(Exception):
            return normalize_name(Requirement(str(item)).name)
        return None

    found = {entry_name(item) for item in array}
    if remove:
        missing = [r for n, r in names.items() if n not in found]
        if missing:
            where = _elsewhere(doc, missing) or "; nothing to remove there"
            raise UsageError(f"{', '.join(missing)} not recorded in {target}{where}")
    for index in reversed(range(len(array))):
        if entry_name(array[index]) in names:
            if remove:
                del array[index]
            else:
                array[index] = names.pop(entry_name(array[index]) or "")
    if not remove:
        _append(array, list(names.values()), comments or {})
    if new_table:
        _set_apart(doc, tables if kind == "extra" else groups)
    return tomlkit.dumps(doc)


def _adds_table(doc: Any, kind: str) -> bool:  # noqa: ANN401 - tomlkit document
    """True when adding to `kind` adds the [dependency-groups] or [project.optional-dependencies] table itself."""
    if kind == "group":
        return "dependency-groups" not in doc
    project = doc.get("project")
    return kind == "extra" and isinstance(project, dict) and "optional-dependencies" not in project


def _set_apart(doc: Any, table: Any) -> None:  # noqa: ANN401 - tomlkit document and table
    """A blank line after `table`, just added, when another table follows it.

    tomlkit writes the next header right below a table it adds: `corral kernel add` left [tool.corral] touching the
    [dependency-groups] after it.
    """
    import tomlkit

    if not tomlkit.dumps(doc).endswith(table.as_string()):
        table.add(tomlkit.nl())


def _elsewhere(doc: Any, names: Sequence[str]) -> str:  # noqa: ANN401 - tomlkit document
    """Where else the pyproject records `names`, as the `corral remove` that would drop each; "" when nowhere.

    A package added with `--dev` or `--optional` is easily removed without it: the bare refusal left the user
    to search the file for it.
    """
    import shlex

    from packaging.requirements import InvalidRequirement as BadRequirement
    from packaging.requirements import Requirement

    data = doc.unwrap()
    project = data.get("project")
    project = project if isinstance(project, dict) else {}
    extras = project.get("optional-dependencies")
    groups = data.get("dependency-groups")
    arrays: list[tuple[str, str, Any]] = [("[project].dependencies", "", project.get("dependencies"))]
    for table, label, flag in (
        (extras, "[project.optional-dependencies]", "--optional"),
        (groups, "[dependency-groups]", "--group"),
    ):
        if isinstance(table, dict):
            arrays += [(f"{label}.{key}", f"{flag} {shlex.quote(key)} ", array) for key, array in table.items()]
    hints = []
    for wanted in names:
        places, commands = [], []
        for label, flag, array in arrays:
            for item in array if isinstance(array, list) else []:
                with contextlib.suppress(BadRequirement):
                    if isinstance(item, str) and normalize_name(Requirement(item).name) == normalize_name(wanted):
                        places.append(label)
                        commands.append(f"`corral remove {flag}{shlex.quote(wanted)}`")
                        break
        if places:
            who = "it" if len(names) == 1 else wanted
            hints.append(f"{who} is in {' and '.join(places)}: use {' or '.join(commands)}")
    return "; " + "; ".join(hints) if hints else ""


def _append(array: Any, requirements: list[str], comments: Mapping[str, str]) -> None:  # noqa: ANN401 - tomlkit Array
    """Append to a tomlkit array; with comments, one requirement per line (a comment needs its own line).

    A plain append follows the array's own layout (its indent, one line or several, its comments); tomlkit's
    `multiline(True)` would re-render every item at its own indent (2 spaces became 4, a comment moved).
    """
    multiline = "\n" in array.as_string()
    if not any(comments.get(r) for r in requirements):
        for requirement in requirements:
            array.append(requirement)
        return
    if not multiline:  # a one-line array: put what it holds on lines of their own first
        kept = list(array)
        array.clear()
        for item in kept:
            array.add_line(item)
    for requirement in requirements:
        array.add_line(requirement, comment=comments.get(requirement) or None)
    if not multiline:
        array.add_line(indent="")  # the closing bracket on its own line


def add(
    ctx: Context,
    requirements: Sequence[str],
    *,
    group: str | None = None,
    optional: str | None = None,
    engine: str | None = None,
    progress: Progress | None = None,
    tool_values: Mapping[str, Any] | None = None,
    editable: bool = False,
) -> ChangeReport:
    """Record, lock and install `requirements` into project, group or extra; all or nothing.

    `tool_values` are `[tool.corral]` keys changed in the same transaction (e.g. `default-groups` for a kernel).
    `editable`: the requirements are local folders installed editable (`editable = true` in their source).

    Raises:
        UsageError: no requirement, or `editable` with one that is not a local folder.

    """
    if not requirements:
        raise UsageError("name at least one requirement to add")
    target = target_of(group, optional)
    found = [resolve_local(ctx, r) for r in requirements]
    if editable:
        _refuse_not_folders(requirements, found)
    resolved = [requirement for requirement, _ in found]
    _refuse_duplicates(resolved)
    _refuse_itself(ctx, resolved, target)
    recorded, sources = path_sources(found, ctx.require_project().root, editable=[editable] * len(found))
    return _change(
        ctx,
        [(target, recorded)],
        remove=False,
        engine=engine,
        progress=progress,
        tool_values=tool_values,
        sources=sources,
    )


def _refuse_not_folders(requirements: Sequence[str], found: Sequence[tuple[str, Path | None]]) -> None:
    for text, (_, path) in zip(requirements, found, strict=True):
        if path is None or not path.is_dir():
            msg = (
                f"--editable: {text!r} is not a local folder; an editable install takes a project folder "
                "(corral add --editable ../lib); nothing was changed"
            )
            raise UsageError(msg)


def path_sources(
    found: Sequence[tuple[str, Path | None]], root: Path, *, editable: Sequence[bool] = ()
) -> tuple[list[str], dict[str, PathSource]]:
    """The requirements to record, and the `[tool.uv.sources]` paths of those given as local paths.

    A local path is recorded as uv records it: the bare name, and `name = { path = "../lib" }` relative to the
    project (`core.local_paths`), so a checkout can move; `name @ file:///absolute` named the folder on this machine
    only (a clone elsewhere installed the first checkout's sibling). Both lockers read the source (uv, and the
    Python 2.7 lock's pip-tools through `services.legacy`). `editable[i]` true: the i-th, a local path, gets
    `editable = true` (`corral add --editable`, a `-e ../lib` line).
    """
    from corral.core.local_paths import PathSource, relative_to_folder

    recorded, sources = [], {}
    for index, (requirement, path) in enumerate(found):
        if path is None:
            recorded.append(requirement)
            continue
        name = requirement.split(" @ ", 1)[0].strip()
        recorded.append(name)
        given = index < len(editable) and editable[index]
        sources[name] = PathSource(relative_to_folder(path, root), editable=given)
    return recorded, sources


def with_sources(text: str, sources: Mapping[str, PathSource]) -> str:
    """pyproject.toml text with `name = { path = "..." }` in `[tool.uv.sources]` for each of `sources`."""
    import tomlkit

    from corral.core.pylock_write import toml_string

    doc = tomlkit.parse(text if text.endswith("\n") else text + "\n")  # as edit_pyproject: a new table's own line
    tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    uv = tool.setdefault("uv", tomlkit.table(is_super_table=True)) if isinstance(tool, dict) else None
    new_table = isinstance(uv, dict) and "sources" not in uv
    table = uv.setdefault("sources", tomlkit.table()) if isinstance(uv, dict) else None
    if not isinstance(table, dict):
        where = "[tool.uv.sources]" if isinstance(uv, dict) else "[tool.uv]" if isinstance(tool, dict) else "[tool]"
        msg = (
            f"pyproject.toml: {where} must be a table to record a local path in it; fix it, or add the package as "
            "`NAME @ file:///absolute/path`; nothing was changed"
        )
        raise ConfigError(msg)
    for name, source in sources.items():
        for key in [k for k in table if normalize_name(k) == normalize_name(name)]:
            del table[key]
        flag = ", editable = true" if source.editable else ""
        table[name] = tomlkit.value(f"{{ path = {toml_string(source.path)}{flag} }}")  # uv's spelling, spaces inside
    if new_table:
        _set_apart(doc, table)
    return tomlkit.dumps(doc)


def _without_sources(text: str, names: Sequence[str]) -> str:
    """pyproject.toml text without the `[tool.uv.sources]` entries of `names` that no requirement names any more."""
    import tomlkit
    from packaging.requirements import InvalidRequirement as BadRequirement
    from packaging.requirements import Requirement

    doc = tomlkit.parse(text)
    tool = doc.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    if not isinstance(uv, dict) or not isinstance(uv.get("sources"), dict):
        return text
    table = uv["sources"]
    from corral.core.local_paths import declared_requirements

    still = set()
    for item in declared_requirements(doc.unwrap()):
        with contextlib.suppress(BadRequirement):
            still.add(normalize_name(Requirement(item).name))
    gone = {normalize_name(n) for n in names} - still
    stale = [key for key in table if normalize_name(key) in gone]
    if not stale:
        return text
    for key in stale:
        del table[key]
    if not table:
        del uv["sources"]
    edited = tomlkit.dumps(doc)
    return edited.rstrip("\n") + "\n" if text.endswith("\n") and not text.endswith("\n\n") else edited


def record(
    ctx: Context,
    placed: Mapping[str, Sequence[str]],
    *,
    comments: Mapping[str, str] | None = None,
    prefer: Mapping[str, str] | None = None,
    engine: str | None = None,
    progress: Progress | None = None,
    editable: Collection[str] = (),
    sources: Mapping[str, PathSource] | None = None,
) -> ChangeReport:
    """`add` into several places at once (target -> requirements, targets as `target_of` names them); all or nothing.

    Args:
        ctx: the command's context.
        placed: "project" / "group:NAME" / "extra:NAME" -> requirements recorded there (may be empty: re-lock only).
        comments: requirement -> a comment written after it in pyproject.toml.
        prefer: name -> version the resolver keeps when the requirements allow it (what is installed, for adopt).
        editable: the requirements of `placed`, local folders, installed editable (a `-e ../lib` line).
        sources: name -> `[tool.uv.sources]` path of a bare name in `placed` whose folder is known (adopt).
        engine: the installer for the env.
        progress: hears each stage.

    Returns:
        What was recorded, locked and installed.

    Raises:
        UsageError: a requirement is invalid, names the project itself, or appears twice in one place.

    """
    edits, notes, found_sources = [], {}, dict(sources or {})
    for target, requirements in placed.items():
        found = [resolve_local(ctx, r) for r in requirements]
        resolved = [requirement for requirement, _ in found]
        _refuse_duplicates(resolved)
        _refuse_itself(ctx, resolved, target)
        flags = [r in editable for r in requirements]
        written, paths = path_sources(found, ctx.require_project().root, editable=flags)
        found_sources.update(paths)
        edits.append((target, written))
        notes.update(
            {
                new: comments[old]
                for old, new in zip(requirements, written, strict=True)
                if comments and comments.get(old)
            }
        )
    return _change(
        ctx,
        edits,
        remove=False,
        engine=engine,
        progress=progress,
        comments=notes,
        prefer=prefer,
        sources=found_sources,
    )


def _refuse_duplicates(requirements: Sequence[str]) -> None:
    from packaging.requirements import Requirement

    seen: dict[str, str] = {}
    for text in requirements:
        key = normalize_name(Requirement(text).name)
        if key in seen:
            msg = f"{seen[key]!r} and {text!r} name the same package; give it once, with every constraint in one string"
            raise UsageError(msg)
        seen[key] = text


def _refuse_itself(ctx: Context, requirements: Sequence[str], target: str) -> None:
    """A requirement naming the project itself is no dependency (uv refuses it too).

    The one exception is PEP 735's self-reference: `name[extra]` in a group or an extra (the project's own extra).
    """
    from packaging.requirements import Requirement

    table = ctx.require_project().data.get("project")
    own = table.get("name") if isinstance(table, dict) else None
    if not isinstance(own, str):
        return
    for text in requirements:
        requirement = Requirement(text)
        if normalize_name(requirement.name) != normalize_name(own):
            continue
        if requirement.extras and target != "project":
            continue
        msg = (
            f"{text!r} names this project itself ([project].name = {own!r} in pyproject.toml), so it cannot be "
            "a dependency: recording it would install nothing and `import` would not find the package from the "
            f'index; rename the project in pyproject.toml (e.g. name = "{own}-app") to depend on it'
        )
        raise UsageError(msg)


def remove(
    ctx: Context,
    names: Sequence[str],
    *,
    group: str | None = None,
    optional: str | None = None,
    engine: str | None = None,
    progress: Progress | None = None,
) -> ChangeReport:
    """Drop `names` from project, group or extra; re-lock, sync, commit; all or nothing."""
    if not names:
        raise UsageError("name at least one package to remove")
    target = target_of(group, optional)
    return _change(ctx, [(target, list(names))], remove=True, engine=engine, progress=progress)


def _edited(
    text: str,
    edits: list[tuple[str, list[str]]],
    *,
    remove: bool,
    comments: Mapping[str, str] | None,
    sources: Mapping[str, PathSource] | None,
    tool_values: Mapping[str, Any] | None,
) -> str:
    """pyproject.toml's text with every change of one `add`/`remove` made (`_change`'s arguments)."""
    for target, listed in edits:
        text = edit_pyproject(text, listed, target=target, remove=remove, comments=comments)
    if sources:
        text = with_sources(text, sources)
    if remove:
        text = _without_sources(text, [r for _, listed in edits for r in listed])
    if tool_values:
        text = _with_tool_values(text, tool_values)
    return text


def _with_tool_values(text: str, values: Mapping[str, Any]) -> str:
    import tomlkit

    doc = tomlkit.parse(text if text.endswith("\n") else text + "\n")  # as edit_pyproject: a new table's own line
    tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    new_table = "corral" not in tool
    table = tool.setdefault("corral", tomlkit.table())
    for key, value in values.items():
        table[key] = value
    if new_table:
        _set_apart(doc, table)
    return tomlkit.dumps(doc)


def _context_seeing(ctx: Context, root: Path, data: dict[str, Any]) -> Context:
    """A context whose project (and so its settings) is the edited pyproject, not the one on disk."""
    from corral.services.project import Project

    return ctx.derive(project=Project(root=root, data=data))


def _change(
    ctx: Context,
    edits: list[tuple[str, list[str]]],
    *,
    remove: bool,
    engine: str | None,
    progress: Progress | None,
    tool_values: Mapping[str, Any] | None = None,
    comments: Mapping[str, str] | None = None,
    prefer: Mapping[str, str] | None = None,
    sources: Mapping[str, PathSource] | None = None,
) -> ChangeReport:
    """Edit each (target, requirements) of `edits`, lock, install, then commit pyproject.toml and pylock.toml.

    `sources`: name -> the local path `[tool.uv.sources]` records for it (`path_sources`).
    """
    from corral.services.lock import (
        LOCK_FILE,
        diff_versions,
        locked_versions,
        plan_settings,
        python_choice,
        render_lock,
        text_versions,
    )
    from corral.services.sync.stamp import clear_stamp
    from corral.services.transaction import commit_files, project_lock

    project = ctx.require_project()
    root = project.root
    with project_lock(root):
        settings = plan_settings(ctx)  # before the index and the interpreter are chosen from them (the head start's)
        pyproject, lock_path = root / "pyproject.toml", root / LOCK_FILE
        from corral.infra.fs import resolve_write_target

        for record in (pyproject, lock_path):  # a link leading out of the project is refused before any work
            resolve_write_target(record, root)
        from corral.infra.toml_file import parse_toml, read_text

        old_text = read_text(pyproject)
        new_text = _edited(old_text, edits, remove=remove, comments=comments, sources=sources, tool_values=tool_values)
        requirements = [r for _, listed in edits for r in listed]
        data = parse_toml(new_text, origin=str(pyproject))  # tomllib: ~10x tomlkit; and the text committed next
        if tool_values:
            ctx = _context_seeing(ctx, root, data)
        old_versions = locked_versions(lock_path)
        python, from_env = python_choice(ctx)
        resolved: list[Plan] = []  # what `uv lock` was given: the upcoming plan's, once committed
        new_lock = render_lock(
            ctx,
            data,
            project_root=root,
            source=str(pyproject),
            previous=lock_path,
            candidates=[] if remove else requirements,
            progress=progress,
            prefer=prefer,
            python=python,
            on_resolved=resolved.append,
            changed=True,
        )
        checkpoint("add.after-lock")
        candidate = _write_candidate(root, new_lock)
        try:
            before = EnvSnapshot.take(_project_env(ctx, progress))
            selection, undo_selection = _kept_selection(project.env_path, candidate, lock_path, [t for t, _ in edits])
            try:
                sync_report = _install(
                    ctx, candidate, selection=selection, engine=engine, progress=progress, requirements=requirements
                )
                checkpoint("add.after-install")
                commit_files(
                    root,
                    {"pyproject.toml": new_text.encode("utf-8"), LOCK_FILE: new_lock.encode("utf-8")},
                    paths=ctx.paths,
                    before_commit=lambda: clear_stamp(project.env_path),
                )
            except BaseException as err:
                if "txn" not in pending(ctx.paths, root):  # not committed: nothing recorded, so nothing installed
                    _undo_install(ctx, before, lock_path, selection=undo_selection, engine=engine)
                if isinstance(err, OSError) and err.filename is None:  # a write without a name: say where
                    raise type(err)(err.errno, err.strerror, str(root)) from err
                raise
            _stamp(ctx, lock_path, selection, sync_report)
            _records(
                ctx,
                data,
                new_text,
                new_lock,
                resolved=[] if prefer else resolved,
                settings=settings,
                python=python,
                env=from_env,
            )
        finally:
            with contextlib.suppress(OSError):
                candidate.unlink()
    added, dropped, updated = diff_versions(old_versions, text_versions(new_lock))
    lock_info = {
        "added": [{"name": n, "version": v} for n, v in added],
        "removed": [{"name": n, "version": v} for n, v in dropped],
        "updated": [{"name": n, "old": o, "new": v} for n, o, v in updated],
    }
    placed = {target: listed for target, listed in edits if listed}
    return ChangeReport(
        action="remove" if remove else "add",
        target=", ".join(placed) or "lock",
        requirements=requirements,
        lock=lock_info,
        sync=sync_report,
        placed=placed if len(placed) > 1 else {},
    )


def _records(
    ctx: Context,
    data: dict[str, Any],
    new_text: str,
    new_lock: str,
    *,
    resolved: list[Plan],
    settings: str,
    python: str | None,
    env: bool,
) -> None:
    """Once committed: the lock stamp (`corral lock` next: unchanged) and the upcoming plan (the next add's head start).

    `resolved`: the plan `uv lock` was given (services.lock.remember_upcoming), if any, under `settings` (the
    head start's digest as the change began). `python` resolved the lock,
    the env's own (`env`) or a base interpreter.
    """
    from corral.services.lock import record_stamp, remember_upcoming

    if resolved:
        remember_upcoming(
            ctx,
            pyproject_bytes=new_text.encode("utf-8"),
            text=new_lock,
            data=data,
            plan=resolved[0],
            settings=settings,
        )
    python, from_env = _python_now(ctx, python, env)
    record_stamp(ctx, data, new_lock, python=python, from_env=from_env)


def _python_now(ctx: Context, python: str | None, from_env: bool) -> tuple[str | None, bool]:
    """The interpreter `corral lock` resolves with now that the change is installed, given the one it resolved with.

    When there was no env, the lock was resolved with the chosen interpreter and the install made the env from it:
    a lock now takes the env's python, the same program (`services.lock_stamp.env_made_from`, the premise the
    stamp's check grants after `corral sync` made the env). Recorded as the env's, the stamp is written (one
    resolved with a base interpreter beside an env is not: `services.lock`) and the next `corral lock` is a no-op.
    """
    if from_env or python is None:
        return python, from_env
    from corral.core.env import Env
    from corral.services.lock_stamp import env_made_from

    env = ctx.require_project().env_path
    if not env_made_from(ctx.paths, env, python):
        return python, from_env
    return str(Env.at(env).python), True


def _write_candidate(root: Path, text: str) -> Path:
    """The lock being tried, written beside pylock.toml (relative paths in it resolve alike) under a fresh name."""
    import tempfile

    fd, name = tempfile.mkstemp(dir=root, prefix=CANDIDATE_PREFIX, suffix=ATOMIC_SUFFIX)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except BaseException as err:  # a full disk, a Ctrl-C: no partial candidate left in the project
        with contextlib.suppress(OSError):
            os.unlink(name)
        if isinstance(err, OSError) and err.errno is not None:  # name the lock, as infra.fs's writer does
            raise type(err)(err.errno, err.strerror, str(root / "pylock.toml")) from err
        raise
    return Path(name)


def _project_env(ctx: Context, progress: Progress | None) -> Path:
    """The project env, created when missing."""
    from corral.services.inspection import is_environment

    env = ctx.require_project().env_path
    if not is_environment(env):
        from corral.services.create import create_env

        if progress:
            progress("creating", f"environment {env}")
        create_env(ctx, env)
        return env
    from corral.services.exec_guard import vouched_env

    if not vouched_env(ctx, env):  # shipped, copied or moved: installing into it would start a python it brought
        from corral.services.recreate import recreate

        if progress:
            progress(
                "rebuilding",
                f"{env} from the lock first: corral has no record of making it here "
                "(`corral allow` keeps an env you made yourself)",
            )
        recreate(ctx)
    return env


def _kept_selection(env: Path, candidate: Path, old_lock: Path, targets: Sequence[str]) -> tuple[Selection, Selection]:
    """(what to install from the candidate, what to restore from the old lock).

    Both are the groups/extras the env was last synced with (so `sync --group X` then `add` keeps X, as `run`
    does), plus the groups/extras being changed.
    """
    from corral.core.selection import Selection
    from corral.services.sync.apply import last_selection
    from corral.services.sync.selection_cache import lock_header

    undo = last_selection(env, lock_header(old_lock)) if old_lock.is_file() else Selection()
    kept = last_selection(env, lock_header(candidate))
    for target in targets:
        kind, _, name = target.partition(":")
        if kind == "group":
            kept = kept.replace(groups=tuple(dict.fromkeys([*(kept.groups or ()), name])))
        elif kind == "extra":
            kept = kept.replace(extras=tuple(dict.fromkeys([*kept.extras, name])))
    return kept, undo


def _undo_install(
    ctx: Context, before: EnvSnapshot, old_lock: Path, *, selection: Selection, engine: str | None
) -> None:
    """Put the env back: delete what the failed change added (half-copied folders too), re-apply the old lock."""
    from corral.services.sync.apply import apply_lock

    before.remove_added()
    if old_lock.is_file():
        with contextlib.suppress(Exception):
            apply_lock(
                ctx, before.env, old_lock, selection=selection, engine=engine, project_root=ctx.require_project().root
            )


def _install(
    ctx: Context,
    candidate: Path,
    *,
    selection: Selection,
    engine: str | None,
    progress: Progress | None,
    requirements: list[str],
) -> dict[str, Any]:
    """Apply the candidate lock to the project env; the caller puts the env back on failure."""
    from corral.services.sync.apply import apply_lock

    project = ctx.require_project()
    try:
        report = apply_lock(
            ctx,
            project.env_path,
            candidate,
            selection=selection,
            engine=engine,
            project_root=project.root,
            progress=progress,
        )
    except BaseException as err:
        if isinstance(err, CorralError) and not isinstance(err, (UsageError, NoSpace)):
            culprit = _culprit(str(err) + getattr(err, "output", ""), requirements)
            head = f"cannot install {culprit!r}" if culprit else "installation failed"
            raise LockError(f"{head}; pyproject.toml and pylock.toml are unchanged: {err}") from err
        raise
    return report.to_dict()


def _stamp(ctx: Context, lock_path: Path, selection: Selection, sync_report: dict[str, Any]) -> None:
    """After the change the env is exactly the new lock's `selection`: say so, for the next run's no-op path."""
    from corral.services.sync.apply import stamp_env

    with contextlib.suppress(OSError):
        stamp_env(
            ctx,
            ctx.require_project().env_path,
            lock_path,
            selection=selection,
            engine=str(sync_report.get("engine", "uv")),
            lock_fresh=True,
        )


def _culprit(text: str, requirements: list[str]) -> str | None:
    from corral.resolvers.uv import resolve_failure

    return resolve_failure(text, requirements)[0]
