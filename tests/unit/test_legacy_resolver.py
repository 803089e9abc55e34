"""The Python 2.7 locker's pure parts: which resolver serves whom, the driver's answer as PEP 751, kept pins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from corral.core.interpreter import InterpreterInfo
from corral.core.pylock_select import select_packages
from corral.core.pylock_write import LockDocument, merge_exports, render_pylock
from corral.core.selection import Selection
from corral.errors import LockError
from corral.infra.toml_file import parse_toml
from corral.resolvers import resolver_for
from corral.resolvers.legacy import PipToolsResolver, _to_pylock, environment_marker
from corral.services.legacy import _previous_pins
from corral.services.outdated import _runs_on

PY27_ENV = {
    "python_version": "2.7",
    "python_full_version": "2.7.18",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux2",
    "platform_machine": "x86_64",
    "implementation_name": "",
    "os_name": "posix",
    "platform_system": "Linux",
    "platform_release": "",
    "platform_version": "",
    "implementation_version": "0",
}
SHA = "ab" * 32


def target(version: tuple[int, int, int], marker_env: dict[str, str]) -> InterpreterInfo:
    return InterpreterInfo(
        path="/x/python",
        realpath="/x/python",
        implementation="CPython",
        version=".".join(map(str, version)),
        version_info=version,
        machine="x86_64",
        pointer_bits=64,
        platform="linux",
        prefix="/x",
        base_prefix="/x",
        marker_env=marker_env,
    )


def driver_answer() -> dict[str, Any]:
    """What _piptools_driver.py prints for `six`, an sdist-only `oldsdist`, a dev group with `mock`."""

    def files(name: str, version: str, *, wheel: bool = True) -> list[dict[str, Any]]:
        found = [
            {
                "filename": f"{name}-{version}.tar.gz",
                "url": f"https://files.example/{name}-{version}.tar.gz",
                "sha256": SHA,
                "kind": "sdist",
                "index": "https://index.example/simple",
            }
        ]
        if wheel:
            found.append(
                {
                    "filename": f"{name}-{version}-py2.py3-none-any.whl",
                    "sha256": SHA,
                    "kind": "wheel",
                    "url": f"https://files.example/{name}-{version}-py2.py3-none-any.whl",
                    "index": "https://index.example/simple",
                }
            )
        return found

    return {
        "packages": [
            {
                "name": "six",
                "version": "1.17.0",
                "index": "https://index.example/simple",
                "files": files("six", "1.17.0"),
                "dependencies": [],
            },
            {
                "name": "oldsdist",
                "version": "1.0",
                "index": "https://index.example/simple",
                "files": files("oldsdist", "1.0", wheel=False),
                "dependencies": ["six"],
            },
            {
                "name": "mock",
                "version": "3.0.5",
                "index": "https://index.example/simple",
                "files": files("mock", "3.0.5"),
                "dependencies": ["six"],
            },
        ],
        "selections": [["default", "", ["oldsdist", "six"]], ["group", "dev", ["mock", "six"]]],
        "marker_env": PY27_ENV,
        "pip": "20.3.4",
        "pip_tools": "5.5.0",
    }


def test_uv_resolves_for_36_and_later_and_pip_tools_below() -> None:
    assert resolver_for((2, 7, 18)) == "pip-tools"
    assert resolver_for((3, 6, 15)) == "uv"
    assert resolver_for((3, 7)) == "uv"
    assert PipToolsResolver().cannot_resolve(target((2, 7, 18), PY27_ENV)) is None
    assert "uv locks" in str(PipToolsResolver().cannot_resolve(target((3, 6, 15), {})))


def test_the_environment_marker_names_the_python_implementation_platform_and_machine() -> None:
    assert environment_marker(PY27_ENV) == (
        "python_version == '2.7' and platform_python_implementation == "
        "'CPython' and sys_platform == 'linux2' and platform_machine == 'x86_64'"
    )


def test_the_driver_answer_becomes_a_pep751_lock_that_installs_only_in_its_environment(tmp_path: Path) -> None:
    # given the driver's answer, written as corral writes every lock
    result = _to_pylock(driver_answer(), tmp_path)
    doc = LockDocument(
        requires_python=">=2.7",
        extras=[],
        dependency_groups=["dev"],
        default_groups=["dev"],
        packages=merge_exports(result.exports, result.graph),
        inputs_hash="sha256:x",
        environments=result.environments,
        notes=["Environment-specific lock:", "second line"],
    )
    text = render_pylock(doc)
    # then the file says where it holds, in a comment and in `environments`
    assert "# Environment-specific lock:\n# second line\n" in text
    assert result.resolved_by == "pip-tools 5.5.0 (pip 20.3.4) in CPython 2.7.18 on linux2 x86_64"
    lock = parse_toml(text, origin="pylock.toml")
    assert lock["environments"] == [environment_marker(PY27_ENV)]
    packages = {p["name"]: p for p in lock["packages"]}
    # an sdist-only package keeps its sdist (with its hash) and no wheels; the dev group is a marker
    assert packages["oldsdist"]["sdist"]["hashes"] == {"sha256": SHA}
    assert "wheels" not in packages["oldsdist"]
    assert packages["mock"]["marker"] == "'dev' in dependency_groups"
    assert "marker" not in packages["six"]
    assert packages["oldsdist"]["dependencies"] == [{"name": "six"}]
    # and it installs into that 2.7, but refuses another interpreter
    chosen = select_packages(
        lock, target=target((2, 7, 18), PY27_ENV), selection=Selection(), lock_dir=tmp_path, platforms=["linux_x86_64"]
    )
    assert {c.name: c.kind for c in chosen} == {"mock": "wheel", "oldsdist": "sdist", "six": "wheel"}
    py3 = {**PY27_ENV, "python_version": "3.12", "python_full_version": "3.12.1", "sys_platform": "linux"}
    with pytest.raises(LockError, match="cannot be installed"):
        select_packages(
            lock, target=target((3, 12, 1), py3), selection=Selection(), lock_dir=tmp_path, platforms=["linux_x86_64"]
        )


def test_a_local_folder_requirement_is_a_directory_entry_relative_to_the_project(tmp_path: Path) -> None:
    (tmp_path / "libs" / "mine").mkdir(parents=True)
    answer = {
        "packages": [{"name": "mine", "directory": str(tmp_path / "libs" / "mine"), "dependencies": []}],
        "selections": [["default", "", ["mine"]]],
        "marker_env": PY27_ENV,
    }
    ((selector, packages),) = _to_pylock(answer, tmp_path).exports
    assert selector == ("default", "")
    assert packages == [{"name": "mine", "directory": {"path": "libs/mine"}}]


def test_a_file_without_a_sha256_is_refused(tmp_path: Path) -> None:
    answer = driver_answer()
    answer["packages"][0]["files"][0]["sha256"] = None
    with pytest.raises(LockError, match="no sha256"):
        _to_pylock(answer, tmp_path)


def test_previous_pins_are_kept_unless_upgraded_released_or_forked(tmp_path: Path) -> None:
    previous = tmp_path / "pylock.toml"
    previous.write_text(
        'lock-version = "1.0"\ncreated-by = "corral"\n'
        '[[packages]]\nname = "Six"\nversion = "1.16.0"\n[[packages.wheels]]\nurl = "https://x/six.whl"\n'
        f'hashes = {{ sha256 = "{SHA}" }}\n'
        '[[packages]]\nname = "attrs"\nversion = "21.4.0"\n[packages.sdist]\nurl = "https://x/attrs.tar.gz"\n'
        f'hashes = {{ sha256 = "{SHA}" }}\n'
        '[[packages]]\nname = "click"\nversion = "7.1.2"\nmarker = "python_version < \'3\'"\n'
        f'[[packages.wheels]]\nurl = "https://x/c7.whl"\nhashes = {{ sha256 = "{SHA}" }}\n'
        '[[packages]]\nname = "click"\nversion = "8.1.7"\nmarker = "python_version >= \'3\'"\n'
        f'[[packages.wheels]]\nurl = "https://x/c8.whl"\nhashes = {{ sha256 = "{SHA}" }}\n',
        encoding="utf-8",
    )
    assert _previous_pins(previous, upgrade=False, skip=(), prefer=None) == {"six": "1.16.0", "attrs": "21.4.0"}
    assert _previous_pins(previous, upgrade=False, skip=("ATTRS",), prefer={"Mock": "3.0.5"}) == {
        "six": "1.16.0",
        "mock": "3.0.5",
    }
    assert _previous_pins(previous, upgrade=True, skip=(), prefer=None) == {}
    assert _previous_pins(tmp_path / "missing.toml", upgrade=False, skip=(), prefer=None) == {}


@pytest.mark.parametrize(
    ("requires", "python", "expected"),
    [
        (">=3.7", "2.7.18", False),
        (">=2.7, !=3.0.*", "2.7.18", True),
        (None, "2.7.18", True),
        (">=3.7", None, True),
        ("not a specifier", "2.7.18", True),
    ],
)
def test_outdated_skips_releases_the_projects_python_cannot_install(
    requires: str | None, python: str | None, expected: bool
) -> None:
    assert _runs_on(requires, python) is expected


def test_a_name_pip_tools_spells_otherwise_is_locked_normalized(tmp_path: Path) -> None:
    # pytest 4.6 on 2.7 asks for backports.functools-lru-cache; pip-tools keeps that spelling (PEP 751: normalized)
    answer = driver_answer()
    wheel = "backports.functools_lru_cache-1.6.6-py2.py3-none-any.whl"
    answer["packages"][0] = {
        "name": "Backports.Functools_LRU-Cache",
        "version": "1.6.6",
        "index": "https://index.example/simple",
        "files": [{"filename": wheel, "url": f"https://files.example/{wheel}", "sha256": SHA, "kind": "wheel"}],
        "dependencies": [],
    }
    answer["packages"][1]["dependencies"] = ["Backports.Functools_LRU-Cache"]
    answer["selections"] = [["default", "", ["oldsdist", "Backports.Functools_LRU-Cache"]]]
    result = _to_pylock(answer, tmp_path)
    doc = LockDocument(
        requires_python=">=2.7",
        extras=[],
        dependency_groups=[],
        default_groups=[],
        packages=merge_exports(result.exports, result.graph),
        inputs_hash="sha256:x",
        environments=result.environments,
    )
    lock = parse_toml(render_pylock(doc), origin="pylock.toml")
    assert {p["name"] for p in lock["packages"]} == {"backports-functools-lru-cache", "oldsdist"}
    chosen = select_packages(  # the checker accepts it: an install of this lock no longer fails
        lock, target=target((2, 7, 18), PY27_ENV), selection=Selection(), lock_dir=tmp_path, platforms=["linux_x86_64"]
    )
    assert {c.name for c in chosen} == {"backports-functools-lru-cache", "oldsdist"}
