"""Whether a project's dynamic version can come from its git repository, or only from files corral reads itself.

`services.project_version` keys a dynamic version (and the lock stamp records it) by `git describe` and the
version files. For a version a build backend reads from a file's text, git is no input: `corral add` editing the
tracked pyproject.toml (`git describe --dirty`), a commit or a tag then changed the key, and the next lock asked
the backend again and resolved again for the same version (typer: pdm-backend's `source = "file"`; packaging:
flit's `__version__`). `reads_git` is False only where the backend's own rule is known to read the version from
bytes these files hold (`watched_files`, digested with the version files, absent ones too), with no code of the
project run and no plugin but the backend itself in the build env:

- pdm-backend, `[tool.pdm.version] source = "file"` (a regular expression over `path`), no custom hook file;
- flit_core, a `[project]` whose only dynamic field is the version, the module's `__init__.py` (or module file)
  holding `__version__ = "..."` at its top level (flit parses it instead of importing the module);
- hatchling, `[tool.hatch.version] path = ...` read by its `regex` source, no metadata hook, no hatch.toml;
- setuptools, `[tool.setuptools.dynamic] version = {attr = "pkg.__version__"}` whose module's first top-level
  assignment to that name is a literal (setuptools' static reading; else it imports the module), or
  `{file = ...}`, with neither setup.py nor setup.cfg nor `cmdclass`.

Anything else (setuptools-scm, hatch-vcs, a setup.py, a backend from the project's tree or a URL, another
plugin in `build-system.requires`, a file that cannot be read whole) is True: git counts, as before.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["reads_git", "watched_files"]

# build-system.requires entries: a name and version specifiers, nothing else (no URL, extra or marker)
_PLAIN_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:[<>=!~][<>=!~0-9A-Za-z.*+,\s]*)?$")
_KNOWN = {
    "pdm.backend": {"pdm-backend"},
    "flit_core.buildapi": {"flit-core"},
    "setuptools.build_meta": {"setuptools"},
    "hatchling.build": {"hatchling"},
}
_HARMLESS = {"setuptools.build_meta": {"wheel"}}  # installed beside the backend, no hook of it reads a version
_FLIT_VERSION_FILES = ("__init__.py", "version.py", "_version.py", "__version__.py")  # flit 3.12+: all parsed


def _requirement_names(system: Mapping[str, Any]) -> set[str] | None:
    """The normalised names `build-system.requires` lists, None when any entry is more than a name and specifiers."""
    from corral.core.names import normalize_name

    requires = system.get("requires")
    if not isinstance(requires, list):
        return None
    names = set()
    for entry in requires:
        match = _PLAIN_REQUIREMENT.match(entry) if isinstance(entry, str) else None
        if match is None:
            return None
        names.add(normalize_name(match.group(1)))
    return names


def _backend(data: Mapping[str, Any]) -> str | None:
    """The build backend when it is one of the known ones and the build env holds nothing else; else None."""
    system = data.get("build-system")
    if not isinstance(system, dict) or "backend-path" in system:
        return None
    backend, names = system.get("build-backend"), _requirement_names(system)
    if not isinstance(backend, str) or names is None or names - _HARMLESS.get(backend, set()) != _KNOWN.get(backend):
        return None
    return backend


def _table(data: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        value = data.get(key)
        if not isinstance(value, dict):
            return {}
        data = value
    return dict(data)


def _dynamic(data: Mapping[str, Any]) -> list[Any] | None:
    value = _table(data, "project").get("dynamic")
    return value if isinstance(value, list) else None


def _flit_module(data: Mapping[str, Any]) -> str | None:
    name = _table(data, "tool", "flit", "module").get("name") or _table(data, "project").get("name")
    return name.replace("-", "_") if isinstance(name, str) else None


def _setuptools_module(data: Mapping[str, Any]) -> tuple[tuple[str, ...], str, str] | None:
    """(the folders the module may live under, its path stem, the attribute) of an `attr:` version.

    setuptools looks under `package-dir`'s "" folder; without one, its discovery may choose `src/` or the root.
    """
    attr = _table(data, "tool", "setuptools", "dynamic", "version").get("attr")
    if not isinstance(attr, str) or "." not in attr.strip():
        return None
    module, _, name = attr.strip().rpartition(".")
    setuptools = _table(data, "tool", "setuptools")
    if isinstance(setuptools.get("packages"), dict):
        return None  # a `find` directive's `where` fills package-dir as setuptools builds (expand.find_packages)
    package_dir = setuptools.get("package-dir")
    if package_dir is None or package_dir == {}:
        bases: tuple[str, ...] = ("", "src/")
    elif package_dir == {"": "src"}:
        bases = ("src/",)
    else:
        return None  # other layouts are found by rules not followed here
    if not all(part.isidentifier() for part in module.split(".")) or not name.isidentifier():
        return None
    return bases, module.replace(".", "/"), name


def watched_files(data: Mapping[str, Any]) -> list[str]:
    """Files (relative to the root) whose presence or bytes `reads_git` decides from, present or not."""
    backend = _backend(data)
    if backend == "pdm.backend":
        hook = _table(data, "tool", "pdm", "build").get("custom-hook", "pdm_build.py")
        path = _table(data, "tool", "pdm", "version").get("path")
        return [f for f in (hook, path) if isinstance(f, str)]
    if backend == "flit_core.buildapi":
        module = _flit_module(data)
        if module is None:
            return []
        stem = module.replace(".", "/")
        return [
            f"{base}{stem}{tail}" for base in ("", "src/") for tail in (".py", *(f"/{n}" for n in _FLIT_VERSION_FILES))
        ]
    if backend == "hatchling.build":
        path = _table(data, "tool", "hatch", "version").get("path")
        return ["hatch.toml", *([path] if isinstance(path, str) else [])]
    if backend == "setuptools.build_meta":
        found = _setuptools_module(data)
        files = ["setup.py", "setup.cfg"]
        if found is not None:
            bases, stem, _ = found
            files += [f"{base}{stem}{tail}" for base in bases for tail in (".py", "/__init__.py")]
        declared = _table(data, "tool", "setuptools", "dynamic", "version").get("file")
        files += [declared] if isinstance(declared, str) else [f for f in declared or [] if isinstance(f, str)]
        return files
    return []


def reads_git(data: Mapping[str, Any], contents: Mapping[str, bytes | None]) -> bool:
    """Whether the version may depend on the git repository (True unless proven otherwise).

    `contents`: each of `watched_files(data)` as read (its bytes; None: absent). A file missing from it, present
    but unread (not a regular file, too large), counts as unknown: True.
    """
    backend = _backend(data)
    if backend is None or not all(name in contents for name in watched_files(data)):
        return True
    if backend == "pdm.backend":
        return _pdm_reads_git(data, contents)
    if backend == "flit_core.buildapi":
        return _flit_reads_git(data, contents)
    if backend == "hatchling.build":
        return _hatch_reads_git(data, contents)
    return _setuptools_reads_git(data, contents)


def _hatch_reads_git(data: Mapping[str, Any], contents: Mapping[str, bytes | None]) -> bool:
    """hatchling: the `regex` version source reads `path`; a metadata hook or hatch.toml may bring anything."""
    version = _table(data, "tool", "hatch", "version")
    path = version.get("path")
    if contents.get("hatch.toml") is not None or _dynamic(data) != ["version"] or not isinstance(path, str):
        return True
    if version.get("source", "regex") != "regex" or set(version) - {"path", "pattern", "source"}:
        return True
    if "hooks" in _table(data, "tool", "hatch", "metadata"):
        return True
    return contents.get(path) is None


def _pdm_reads_git(data: Mapping[str, Any], contents: Mapping[str, bytes | None]) -> bool:
    """pdm-backend: `source = "file"` reads `path` by a regular expression; a custom hook file may do anything."""
    version = _table(data, "tool", "pdm", "version")
    hook = _table(data, "tool", "pdm", "build").get("custom-hook", "pdm_build.py")
    if (
        not isinstance(hook, str)
        or contents.get(hook) is not None
        or hook == ""
        or "run-setuptools" in _table(data, "tool", "pdm", "build")
    ):
        return True
    path = version.get("path")
    if version.get("source") != "file" or not isinstance(path, str) or set(version) - {"source", "path", "pattern"}:
        return True
    return contents.get(path) is None


def _flit_reads_git(data: Mapping[str, Any], contents: Mapping[str, bytes | None]) -> bool:
    """flit_core: the version parsed from the module's files; the module is imported when `__init__` has none."""
    if _dynamic(data) != ["version"] or _table(data, "tool", "flit").keys() - {"module", "sdist", "external-data"}:
        return True
    module = _flit_module(data)
    if module is None or not all(part.isidentifier() for part in module.split(".")):
        return True
    stem = module.replace(".", "/")
    places = [f"{base}{stem}" for base in ("", "src/")]
    found = [p for p in places if contents.get(f"{p}/__init__.py") is not None or contents.get(f"{p}.py") is not None]
    if len(found) != 1 or (contents.get(f"{found[0]}/__init__.py") is None) == (contents.get(f"{found[0]}.py") is None):
        return True  # flit refuses a module found twice; a folder without __init__.py is not followed here
    main = contents.get(f"{found[0]}/__init__.py")
    main = contents.get(f"{found[0]}.py") if main is None else main
    return main is None or not _flit_static(main)


def _setuptools_reads_git(data: Mapping[str, Any], contents: Mapping[str, bytes | None]) -> bool:
    """setuptools: `attr:` read statically from the module, or `file:`; setup.py and setup.cfg run or add plugins."""
    if contents.get("setup.py") is not None or contents.get("setup.cfg") is not None or _dynamic(data) != ["version"]:
        return True
    if "cmdclass" in _table(data, "tool", "setuptools"):
        return True  # the project's own command classes, imported and run by the metadata build
    version = _table(data, "tool", "setuptools", "dynamic", "version")
    if set(version) == {"file"}:
        declared = version["file"]
        files = [declared] if isinstance(declared, str) else declared if isinstance(declared, list) else None
        return not files or any(not isinstance(f, str) or contents.get(f) is None for f in files)
    found = _setuptools_module(data)
    if set(version) != {"attr"} or found is None:
        return True
    bases, stem, name = found
    modules = [
        next(m for m in (contents.get(f"{base}{stem}.py"), contents.get(f"{base}{stem}/__init__.py")) if m is not None)
        for base in bases
        if contents.get(f"{base}{stem}.py") is not None or contents.get(f"{base}{stem}/__init__.py") is not None
    ]  # setuptools takes `stem.py` before `stem/__init__.py`; the module under two folders is not followed here
    return len(modules) != 1 or not _literal_first(modules[0], name)


def _parsed(source: bytes) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _literal_first(source: bytes, name: str) -> bool:
    """The first top-level assignment to `name` is a string literal: setuptools reads it without importing."""
    tree = _parsed(source)
    for node in tree.body if tree is not None else []:
        if isinstance(node, ast.Assign):
            pairs = [(target, node.value) for target in node.targets]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            pairs = [(node.target, node.value)]
        else:
            continue
        for target, value in pairs:
            if isinstance(target, ast.Name) and target.id == name:
                return isinstance(value, ast.Constant) and isinstance(value.value, str)
    return False


def _flit_static(source: bytes) -> bool:
    """The static reading of flit takes the first top-level `__version__ = <constant>` (else it imports the module).

    Only a plain `__version__ = "non-empty string"` counts: what every flit_core with `[project]` support reads
    without importing (an empty string or another constant sends it to the import).
    """
    tree = _parsed(source)
    for node in tree.body if tree is not None else []:
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or not isinstance(node.value, ast.Constant):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(isinstance(t, ast.Name) and t.id == "__version__" for t in targets):
            value = node.value.value
            return isinstance(node, ast.Assign) and len(targets) == 1 and isinstance(value, str) and value != ""
    return False
