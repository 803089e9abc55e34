"""services.version_source: git counts for a dynamic version unless its backend's rule reads it from files alone.

Each case is a pyproject (parsed) and the bytes of the files the rule reads; pure data, nothing is built.
"""

from __future__ import annotations

from typing import Any

import pytest

from corral.services.version_source import reads_git, watched_files

PDM: dict[str, Any] = {
    "build-system": {"requires": ["pdm-backend"], "build-backend": "pdm.backend"},
    "project": {"name": "typer", "dynamic": ["version"]},
    "tool": {"pdm": {"version": {"source": "file", "path": "typer/__init__.py"}}},
}
FLIT: dict[str, Any] = {
    "build-system": {"requires": ["flit_core >=3.12"], "build-backend": "flit_core.buildapi"},
    "project": {"name": "packaging", "description": "x", "dynamic": ["version"]},
}
SETUPTOOLS: dict[str, Any] = {
    "build-system": {"requires": ["setuptools>=65.0"], "build-backend": "setuptools.build_meta"},
    "project": {"name": "typer-like", "dynamic": ["version"]},
    "tool": {"setuptools": {"packages": ["typer_like"], "dynamic": {"version": {"attr": "typer_like.__version__"}}}},
}
STATIC = b'"""A package."""\n\n__version__ = "0.24.1"\n'


def with_(data: dict[str, Any], path: tuple[str, ...], value: object) -> dict[str, Any]:
    """A deep copy of `data` with the key at `path` set (None: removed)."""
    import copy

    out = copy.deepcopy(data)
    table = out
    for key in path[:-1]:
        table = table.setdefault(key, {})
    if value is None:
        table.pop(path[-1], None)
    else:
        table[path[-1]] = value
    return out


def test_pdm_file_source_reads_no_git() -> None:
    contents = {"pdm_build.py": None, "typer/__init__.py": STATIC}
    assert watched_files(PDM) == ["pdm_build.py", "typer/__init__.py"]
    assert reads_git(PDM, contents) is False


@pytest.mark.parametrize(
    "change",
    [
        (("tool", "pdm", "version", "source"), "scm"),
        (("build-system", "requires"), ["pdm-backend", "pdm-build-plugin"]),
        (("build-system", "requires"), ["pdm-backend @ https://example.invalid/pdm.whl"]),
        (("build-system", "backend-path"), ["."]),
        (("tool", "pdm", "build"), {"run-setuptools": True}),
    ],
)
def test_pdm_otherwise_reads_git(change: tuple[tuple[str, ...], object]) -> None:
    data = with_(PDM, *change)
    contents: dict[str, bytes | None] = dict.fromkeys(watched_files(data), STATIC)
    contents["pdm_build.py"] = None
    assert reads_git(data, contents) is True


def test_a_pdm_custom_hook_file_reads_git() -> None:
    contents = {"typer/__init__.py": STATIC, "pdm_build.py": b"def pdm_build_initialize(context): ...\n"}
    assert reads_git(PDM, contents) is True
    assert reads_git(PDM, {"typer/__init__.py": STATIC}) is True  # unread: unknown


def test_flit_static_version_reads_no_git() -> None:
    contents: dict[str, bytes | None] = dict.fromkeys(watched_files(FLIT))
    contents["src/packaging/__init__.py"] = STATIC
    assert reads_git(FLIT, contents) is False
    contents["src/packaging/_version.py"] = b"__version__ = '9'\n"  # flit 4 reads it too: still files alone
    assert reads_git(FLIT, contents) is False


@pytest.mark.parametrize(
    "source",
    [
        b"import subprocess\n__version__ = subprocess.check_output(['git', 'describe']).decode()\n",
        b"__version__ = ''\n",  # empty: flit imports the module
        b"__version__ = None\n__version__ = '1.0'\n",  # flit takes the first constant
        b"__version__: str = '1.0'\n",  # older flit reads only plain assignments
        b"__version__ = VERSION = '1.0'\n",
        b"def broken(:\n",
    ],
)
def test_flit_imports_the_module_so_git_counts(source: bytes) -> None:
    contents: dict[str, bytes | None] = dict.fromkeys(watched_files(FLIT))
    contents["src/packaging/__init__.py"] = source
    assert reads_git(FLIT, contents) is True


def test_flit_with_a_dynamic_description_or_two_modules_counts_git() -> None:
    contents: dict[str, bytes | None] = dict.fromkeys(watched_files(FLIT))
    contents["src/packaging/__init__.py"] = STATIC
    assert reads_git(with_(FLIT, ("project", "dynamic"), ["version", "description"]), contents) is True
    contents["packaging/__init__.py"] = STATIC
    assert reads_git(FLIT, contents) is True


def test_setuptools_static_attr_reads_no_git() -> None:
    contents: dict[str, bytes | None] = dict.fromkeys(watched_files(SETUPTOOLS))
    contents["typer_like/__init__.py"] = STATIC
    assert "setup.py" in watched_files(SETUPTOOLS) and "setup.cfg" in watched_files(SETUPTOOLS)
    assert reads_git(SETUPTOOLS, contents) is False
    # `wheel` beside setuptools adds no hook that reads a version
    assert reads_git(with_(SETUPTOOLS, ("build-system", "requires"), ["setuptools", "wheel"]), contents) is False


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("setup.py", b"from setuptools import setup\nsetup()\n"),
        ("setup.cfg", b"[egg_info]\ntag_build = .dev\n"),
        ("typer_like/__init__.py", b"__version__ = get_version()\n__version__ = '1.0'\n"),  # the first one decides
        ("typer_like/__init__.py", b"VERSION = '1.0'\n"),
    ],
)
def test_setuptools_otherwise_reads_git(name: str, source: bytes) -> None:
    contents: dict[str, bytes | None] = dict.fromkeys(watched_files(SETUPTOOLS))
    contents["typer_like/__init__.py"] = STATIC
    contents[name] = source
    assert reads_git(SETUPTOOLS, contents) is True


def test_setuptools_with_command_classes_of_the_project_reads_git() -> None:
    contents: dict[str, bytes | None] = dict.fromkeys(watched_files(SETUPTOOLS))
    contents["typer_like/__init__.py"] = STATIC
    ours = with_(SETUPTOOLS, ("tool", "setuptools", "cmdclass"), {"egg_info": "typer_like.build.EggInfo"})
    assert reads_git(ours, contents) is True


def test_setuptools_with_scm_or_a_module_in_two_places_reads_git() -> None:
    contents: dict[str, bytes | None] = dict.fromkeys(watched_files(SETUPTOOLS))
    contents["typer_like/__init__.py"] = STATIC
    scm = with_(SETUPTOOLS, ("build-system", "requires"), ["setuptools", "setuptools-scm"])
    assert reads_git(scm, {n: contents.get(n) for n in watched_files(scm)}) is True
    contents["src/typer_like/__init__.py"] = STATIC
    assert reads_git(SETUPTOOLS, contents) is True


HATCH: dict[str, Any] = {
    "build-system": {"requires": ["hatchling"], "build-backend": "hatchling.build"},
    "project": {"name": "demo", "dynamic": ["version"]},
    "tool": {"hatch": {"version": {"path": "src/demo/__about__.py"}}},
}


def test_hatchling_regex_source_reads_no_git() -> None:
    assert watched_files(HATCH) == ["hatch.toml", "src/demo/__about__.py"]
    assert reads_git(HATCH, {"hatch.toml": None, "src/demo/__about__.py": STATIC}) is False


@pytest.mark.parametrize(
    "change",
    [
        (("tool", "hatch", "version", "source"), "vcs"),
        (("build-system", "requires"), ["hatchling", "hatch-vcs"]),
        (("tool", "hatch", "metadata"), {"hooks": {"custom": {}}}),
        (("project", "dynamic"), ["version", "readme"]),
    ],
)
def test_hatchling_otherwise_reads_git(change: tuple[tuple[str, ...], object]) -> None:
    data = with_(HATCH, *change)
    contents: dict[str, bytes | None] = {"hatch.toml": None, "src/demo/__about__.py": STATIC}
    assert reads_git(data, contents) is True


def test_a_hatch_toml_lets_git_count() -> None:
    contents = {"hatch.toml": b"[version]\nsource = 'vcs'\n", "src/demo/__about__.py": STATIC}
    assert reads_git(HATCH, contents) is True


def test_no_build_system_or_an_unknown_backend_reads_git() -> None:
    assert reads_git({"project": {"name": "x", "dynamic": ["version"]}}, {}) is True
    maturin = with_(PDM, ("build-system",), {"requires": ["maturin"], "build-backend": "maturin"})
    assert watched_files(maturin) == []
    assert reads_git(maturin, {}) is True


def test_setuptools_with_a_find_directive_reads_git() -> None:
    """`packages.find.where` fills package-dir as setuptools builds: the module it reads may be another folder's
    (found by H7: a stale root copy with a literal version, the real one under lib/; the lock said unchanged)."""
    found = with_(SETUPTOOLS, ("tool", "setuptools", "packages"), {"find": {"where": ["lib"]}})
    contents: dict[str, bytes | None] = dict.fromkeys(watched_files(found))
    contents["typer_like/__init__.py"] = STATIC  # a stale root copy; setuptools reads lib/typer_like
    assert reads_git(found, contents) is True
