"""Choosing a pylock.toml's packages and wheels for a target interpreter (markers, groups, extras, tags)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from corral.core.interpreter import InterpreterInfo
from corral.core.pylock_select import index_base, select_packages, target_tags
from corral.core.selection import Selection
from corral.errors import LockError, UsageError

LINUX = ["manylinux_2_17_x86_64", "manylinux2014_x86_64", "linux_x86_64"]
WINDOWS = ["win_amd64"]


def interp(
    version: tuple[int, int, int],
    *,
    system: str = "Linux",
    abiflags: str = "",
    implementation: str = "CPython",
    soabi: str = "",
) -> InterpreterInfo:
    """A hand-made target (what the probe would report)."""
    windows = system == "Windows"
    short = f"{version[0]}.{version[1]}"
    marker_env = {
        "implementation_name": implementation.lower(),
        "implementation_version": ".".join(map(str, version)),
        "os_name": "nt" if windows else "posix",
        "platform_machine": "AMD64" if windows else "x86_64",
        "platform_release": "",
        "platform_system": system,
        "platform_version": "",
        "python_full_version": ".".join(map(str, version)),
        "platform_python_implementation": implementation,
        "python_version": short,
        "sys_platform": "win32" if windows else "linux",
    }
    return InterpreterInfo(
        path="/x/python",
        realpath="/x/python",
        implementation=implementation,
        version=".".join(map(str, version)),
        version_info=version,
        machine="x86_64",
        pointer_bits=64,
        platform=marker_env["sys_platform"],
        prefix="/x",
        base_prefix="/x",
        marker_env=marker_env,
        abiflags=abiflags,
        soabi=soabi,
    )


def wheel(filename: str) -> dict[str, Any]:
    """A wheel entry with a fake but well-formed hash."""
    return {"name": filename, "url": f"https://files.example/{filename}", "hashes": {"sha256": "ab" * 32}}


def lock(*packages: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A minimal valid pylock dict."""
    return {"lock-version": "1.0", "created-by": "test", **top, "packages": list(packages)}


def pkg(name: str, version: str, *files: str, marker: str | None = None, **extra: Any) -> dict[str, Any]:
    """A package entry with the given wheel files."""
    entry: dict[str, Any] = {"name": name, "version": version, "wheels": [wheel(f) for f in files], **extra}
    if marker:
        entry["marker"] = marker
    return entry


def names(
    data: dict[str, Any],
    target: InterpreterInfo,
    selection: Selection | None = None,
    platforms: list[str] | None = None,
) -> dict[str, str | None]:
    """{name: chosen file name}."""
    chosen = select_packages(
        data, target=target, selection=selection or Selection(), lock_dir=Path("/lock"), platforms=platforms or LINUX
    )
    return {c.name: c.filename for c in chosen}


MULTI = lock(
    pkg("alpha", "1.0", "alpha-1.0-py3-none-any.whl"),
    pkg("pytest", "8.0", "pytest-8.0-py3-none-any.whl", marker="'dev' in dependency_groups"),
    pkg("sphinx", "7.0", "sphinx-7.0-py3-none-any.whl", marker="'docs' in dependency_groups"),
    pkg("delta", "1.2", "delta-1.2-py3-none-any.whl", marker="'fast' in extras"),
    pkg("winpkg", "1.0", "winpkg-1.0-py3-none-any.whl", marker="sys_platform == 'win32'"),
    pkg("old", "1.0", "old-1.0-py3-none-any.whl", marker="python_version < '3.8'"),
    extras=["fast"],
    **{"dependency-groups": ["dev", "docs"], "default-groups": ["dev"]},
)


def test_default_selection_takes_default_groups_and_target_markers() -> None:
    assert set(names(MULTI, interp((3, 12, 1)))) == {"alpha", "pytest"}


def test_markers_use_the_target_interpreter_not_corral() -> None:
    assert "old" in names(MULTI, interp((3, 7, 16), abiflags="m"))
    assert "winpkg" in names(MULTI, interp((3, 12, 1), system="Windows"), platforms=WINDOWS)


def test_groups_add_to_defaults_and_no_dev_drops_dev() -> None:
    target = interp((3, 12, 1))
    assert set(names(MULTI, target, Selection(groups=("docs",)))) == {"alpha", "pytest", "sphinx"}
    assert set(names(MULTI, target, Selection(no_dev=True))) == {"alpha"}
    assert set(names(MULTI, target, Selection(groups=("docs",), only_groups=True))) == {"alpha", "sphinx"}
    assert set(names(MULTI, target, Selection(all_groups=True, all_extras=True))) == {
        "alpha",
        "pytest",
        "sphinx",
        "delta",
    }


def test_extras_select_their_packages() -> None:
    assert "delta" in names(MULTI, interp((3, 12, 1)), Selection(extras=("fast",)))


def test_unknown_group_or_extra_is_a_usage_error_listing_valid_names() -> None:
    with pytest.raises(UsageError, match=r"unknown dependency group 'tests'.*dev, docs"):
        names(MULTI, interp((3, 12, 1)), Selection(groups=("tests",)))
    with pytest.raises(UsageError, match=r"unknown extra 'slow'.*fast"):
        names(MULTI, interp((3, 12, 1)), Selection(extras=("slow",)))


def test_group_and_extra_names_are_read_as_the_lock_records_them_normalized() -> None:
    # PEP 735/685: `--group Docs`, `--extra FAST` name `docs` and `fast`, as uv reads them (they were refused)
    assert Selection(groups=("Docs", "docs"), extras=("FAST",)).groups == ("docs",)
    assert names(MULTI, interp((3, 12, 1)), Selection(extras=("FAST",))) == names(
        MULTI, interp((3, 12, 1)), Selection(extras=("fast",))
    )
    assert "sphinx" in names(MULTI, interp((3, 12, 1)), Selection(groups=("DOCS",)))


def test_single_use_lock_without_group_keys_installs_everything_unmarked() -> None:
    data = lock(pkg("alpha", "1.0", "alpha-1.0-py3-none-any.whl"), pkg("beta", "1.0", "beta-1.0-py3-none-any.whl"))
    assert set(names(data, interp((3, 12, 1)))) == {"alpha", "beta"}


def test_two_surviving_entries_for_one_name_are_an_error() -> None:
    data = lock(pkg("alpha", "1.0", "alpha-1.0-py3-none-any.whl"), pkg("alpha", "2.0", "alpha-2.0-py3-none-any.whl"))
    with pytest.raises(LockError, match="Multiple packages with the name 'alpha'"):
        names(data, interp((3, 12, 1)))


def test_lock_requires_python_is_checked_against_the_target() -> None:
    data = lock(pkg("alpha", "1.0", "alpha-1.0-py3-none-any.whl"), **{"requires-python": ">=3.10"})
    with pytest.raises(LockError, match=r"Python 3\.9\.18"):
        names(data, interp((3, 9, 18)))


NUMPYISH = pkg(
    "fast",
    "1.0",
    "fast-1.0-cp37-cp37m-manylinux_2_17_x86_64.whl",
    "fast-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
    "fast-1.0-cp311-cp311-win_amd64.whl",
    "fast-1.0-py2.py3-none-any.whl",
)


@pytest.mark.parametrize(
    ("target", "platforms", "expected"),
    [
        (interp((3, 12, 1)), LINUX, "fast-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"),
        (interp((3, 7, 16), abiflags="m"), LINUX, "fast-1.0-cp37-cp37m-manylinux_2_17_x86_64.whl"),
        (interp((3, 11, 7)), LINUX, "fast-1.0-py2.py3-none-any.whl"),
        (interp((3, 11, 7), system="Windows"), WINDOWS, "fast-1.0-cp311-cp311-win_amd64.whl"),
        (interp((2, 7, 18), abiflags="mu"), LINUX, "fast-1.0-py2.py3-none-any.whl"),
    ],
)
def test_wheel_is_chosen_by_the_target_tags(target: InterpreterInfo, platforms: list[str], expected: str) -> None:
    assert names(lock(NUMPYISH), target, platforms=platforms)["fast"] == expected


def test_windows_only_wheel_falls_back_to_sdist_or_fails_clearly() -> None:
    only_win = pkg("winonly", "1.0", "winonly-1.0-cp311-cp311-win_amd64.whl")
    with pytest.raises(LockError, match=r"No wheel found matching.*'winonly'"):
        names(lock(only_win), interp((3, 11, 7)))
    with_sdist = dict(
        only_win,
        sdist={
            "name": "winonly-1.0.tar.gz",
            "url": "https://files.example/winonly-1.0.tar.gz",
            "hashes": {"sha256": "cd" * 32},
        },
    )
    assert names(lock(with_sdist), interp((3, 11, 7)))["winonly"] == "winonly-1.0.tar.gz"
    chosen = names(lock(only_win), interp((3, 11, 7), system="Windows"), platforms=WINDOWS)["winonly"]
    assert chosen == "winonly-1.0-cp311-cp311-win_amd64.whl"


def test_windows_tags_prefer_the_exact_abi_then_abi3_then_pure() -> None:
    tags = [str(t) for t in target_tags(interp((3, 12, 1), system="Windows"), platforms=WINDOWS)]
    assert tags.index("cp312-cp312-win_amd64") < tags.index("cp312-abi3-win_amd64") < tags.index("py3-none-any")
    assert "cp311-abi3-win_amd64" in tags
    assert not any("manylinux" in t for t in tags)


def test_cp37m_and_free_threaded_abis_come_from_the_target() -> None:
    assert "cp37-cp37m-linux_x86_64" in {
        str(t) for t in target_tags(interp((3, 7, 16), abiflags="m"), platforms=["linux_x86_64"])
    }
    ft = {str(t) for t in target_tags(interp((3, 13, 0), abiflags="t"), platforms=["linux_x86_64"])}
    assert "cp313-cp313t-linux_x86_64" in ft
    assert "cp313-cp313-linux_x86_64" not in ft


def test_pypy_tags_use_the_soabi() -> None:
    target = interp((3, 10, 14), implementation="PyPy", soabi="pypy310-pp73-x86_64-linux-gnu")
    tags = [str(t) for t in target_tags(target, platforms=["linux_x86_64"])]
    assert tags[0] == "pp310-pypy310_pp73-linux_x86_64"


def test_requirement_line_carries_the_hash_and_local_paths_become_file_urls() -> None:
    data = lock(
        {
            "name": "alpha",
            "version": "1.0",
            "wheels": [
                {
                    "name": "alpha-1.0-py3-none-any.whl",
                    "path": "wheels/alpha-1.0-py3-none-any.whl",
                    "hashes": {"sha256": "ef" * 32},
                }
            ],
        }
    )
    (chosen,) = select_packages(
        data, target=interp((3, 12, 1)), selection=Selection(), lock_dir=Path("/lock"), platforms=LINUX
    )
    assert chosen.requirement_line() == (
        f"alpha @ file:///lock/wheels/alpha-1.0-py3-none-any.whl --hash=sha256:{'ef' * 32}"
    )


def test_invalid_lock_is_a_lock_error_naming_the_fix() -> None:
    with pytest.raises(LockError, match="not a valid PEP 751"):
        select_packages(
            {"lock-version": "1.0", "packages": []},
            target=interp((3, 12, 1)),
            selection=Selection(),
            lock_dir=Path("/lock"),
        )


@pytest.mark.parametrize(
    ("index", "base"),
    [
        ("https://index.example/simple", "https://index.example/simple"),
        ("https://index.example/simple/", "https://index.example/simple/"),
        ("https://index.example/simple/Alpha_Pkg/", "https://index.example/simple/"),
        ("https://mirror.example/py/simple/alpha-pkg", "https://mirror.example/py/simple/"),
        ("https://mirror.example/alpha-pkg/", "https://mirror.example/alpha-pkg/"),  # not a project page
        ("https://mirror.example/simple/other/", "https://mirror.example/simple/other/"),
    ],
)
def test_index_base_cuts_only_a_project_page_back_to_its_index(index: str, base: str) -> None:
    assert index_base(index, "alpha-pkg") == base


def test_files_from_an_index_carry_it_and_every_wheel_hash_of_their_entry() -> None:
    # given: an index entry with two wheels and an sdist, a URL-only entry, a path wheel that names an index
    sdist = {
        "name": "alpha-1.0.tar.gz",
        "url": "https://files.example/alpha-1.0.tar.gz",
        "hashes": {"sha256": "cd" * 32},
    }
    win = {**wheel("alpha-1.0-cp312-cp312-win_amd64.whl"), "hashes": {"sha256": "ef" * 32}}
    data = lock(
        pkg(
            "alpha",
            "1.0",
            "alpha-1.0-py3-none-any.whl",
            index="https://index.example/simple/alpha/",
            sdist=sdist,
            wheels=[wheel("alpha-1.0-py3-none-any.whl"), win],
        ),
        pkg("beta", "2.0", "beta-2.0-py3-none-any.whl"),
        {
            "name": "gamma",
            "version": "3.0",
            "index": "https://index.example/simple",
            "wheels": [
                {
                    "name": "gamma-3.0-py3-none-any.whl",
                    "path": "w/gamma-3.0-py3-none-any.whl",
                    "hashes": {"sha256": "12" * 32},
                }
            ],
        },
    )
    # when
    chosen = {
        c.name: c
        for c in select_packages(
            data, target=interp((3, 12, 1)), selection=Selection(), lock_dir=Path("/lock"), platforms=LINUX
        )
    }
    # then
    assert chosen["alpha"].index == "https://index.example/simple/"
    assert chosen["alpha"].hashes == ("ab" * 32, "ef" * 32), (
        "a wheel was chosen: the sdist's hash is not offered (a wheel hash that fails must not send uv to build it)"
    )
    assert chosen["alpha"].from_index
    assert not chosen["beta"].from_index, "no index in the lock: installed by its URL"
    assert not chosen["gamma"].from_index, "a file the lock holds by path is installed from that path"


def test_a_chosen_sdist_carries_its_own_hash() -> None:
    with_sdist = dict(
        pkg("winonly", "1.0", "winonly-1.0-cp311-cp311-win_amd64.whl", index="https://index.example/simple/"),
        sdist={
            "name": "winonly-1.0.tar.gz",
            "url": "https://files.example/winonly-1.0.tar.gz",
            "hashes": {"sha256": "cd" * 32},
        },
    )
    chosen = select_packages(
        lock(with_sdist), target=interp((3, 11, 7)), selection=Selection(), lock_dir=Path("/lock"), platforms=LINUX
    )
    assert [(c.kind, "cd" * 32 in c.hashes) for c in chosen] == [("sdist", True)]
