"""The legacy-Python table, the notice, host choice, and the table checked against the real wheels."""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from corral.core.interpreter import LEGACY_EOL, InterpreterInfo
from corral.core.pyversion import python_minor
from corral.creators.virtualenv import VirtualenvCreator
from corral.infra.environ import virtualenv_environ
from corral.services.context import Context
from corral.services.legacy import notice_for_env
from corral.toolchain.legacy import LEGACY, VIRTUALENV_REQUIREMENTS, VIRTUALENV_VERSION, legacy_notice
from corral.toolchain.virtualenv_tool import choose_host, find_virtualenv, toolchain_dir
from support.wheelhouse import require_wheelhouse


def _interp(version: str, **kw: object) -> InterpreterInfo:
    parts = tuple(int(p) for p in version.split("."))
    base = InterpreterInfo(
        path=f"/py/{version}/bin/python",
        realpath=f"/py/{version}/bin/python",
        implementation="CPython",
        version=version,
        version_info=parts,  # type: ignore[arg-type]
        machine="x86_64",
        pointer_bits=64,
        platform="linux",
        prefix=f"/py/{version}",
        base_prefix=f"/py/{version}",
    )
    return base.replace(**kw)


def _wheel(name: str, version: str) -> Path:
    pattern = f"{name}-{version}-*.whl"
    return min(require_wheelhouse(pattern).glob(pattern))


def _requires_python(wheel: Path) -> SpecifierSet:
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        for line in zf.read(meta).decode().splitlines():
            if line.startswith("Requires-Python:"):
                return SpecifierSet(line.split(":", 1)[1].strip())
    return SpecifierSet()


def test_table_covers_exactly_the_legacy_pythons_with_their_end_of_life_dates() -> None:
    assert set(LEGACY) == set(LEGACY_EOL)
    assert {v.version: v.eol for v in LEGACY.values()} == {
        "2.7": "2020-01-01",
        "3.6": "2021-12-23",
        "3.7": "2023-06-27",
    }


def test_last_tools_per_legacy_python() -> None:
    rows = {v.version: (v.pip, v.setuptools, v.wheel, v.default_creator) for v in LEGACY.values()}
    assert rows == {
        "2.7": ("20.3.4", "44.1.1", "0.37.1", "virtualenv"),
        "3.6": ("21.3.1", "59.6.0", "0.37.1", "uv"),
        "3.7": ("24.0", "68.0.0", "0.42.0", "uv"),
    }
    for row in LEGACY.values():
        assert all(reason for reason in (row.pip_reason, row.setuptools_reason, row.wheel_reason, row.uv_reason))


@pytest.mark.parametrize("minor", sorted(LEGACY))
def test_seed_wheels_in_the_wheelhouse_admit_their_python(minor: tuple[int, int]) -> None:
    row = LEGACY[minor]
    target = Version(f"{row.version}.0")
    for name, version in (("pip", row.pip), ("setuptools", row.setuptools), ("wheel", row.wheel)):
        if name == "wheel" and row.version == "3.7":
            continue  # wheel 0.42.0 is not in the test wheelhouse; verified with pip download (README table)
        assert target in _requires_python(_wheel(name, version)), (name, version, row.version)


def test_virtualenv_20_21_1_embeds_exactly_the_seeds_the_table_names() -> None:
    with zipfile.ZipFile(_wheel("virtualenv", VIRTUALENV_VERSION)) as zf:
        source = zf.read("virtualenv/seed/wheels/embed/__init__.py").decode()
    tree = ast.parse(source)
    bundle = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "BUNDLE_SUPPORT"
    )
    for row in LEGACY.values():
        embedded = bundle[row.version]
        wanted = dict(zip(("pip", "setuptools", "wheel"), row.virtualenv_seed, strict=True))
        for name, version in wanted.items():
            assert embedded[name].startswith(f"{name}-{version}-"), (row.version, embedded[name])


def test_toolchain_requirements_pin_virtualenv_and_cap_platformdirs_below_4() -> None:
    assert f"virtualenv=={VIRTUALENV_VERSION}" in VIRTUALENV_REQUIREMENTS
    assert any(r.startswith("platformdirs") and "<4" in r for r in VIRTUALENV_REQUIREMENTS)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("2.7.18", "Python 2.7 reached end of life on 2020-01-01: this env is a legacy zone; port to Python 3"),
        ("2.7.18.final.0", "Python 2.7 reached end of life on 2020-01-01: this env is a legacy zone; port to Python 3"),
        ("3.6", "Python 3.6 reached end of life on 2021-12-23: this env is a legacy zone; move to a supported Python"),
        (
            (3, 7, 16),
            "Python 3.7 reached end of life on 2023-06-27: this env is a legacy zone; "  # noqa: ISC004
            "move to a supported Python",
        ),
        ("3.8.18", None),
        ("3.13.0", None),
        ("garbage", None),
    ],
)
def test_legacy_notice_is_one_line_for_legacy_pythons_only(version: str, expected: str | None) -> None:
    assert legacy_notice(version) == expected


def test_python_minor_reads_pyvenv_cfg_styles() -> None:
    assert python_minor("2.7.18.final.0") == (2, 7)
    assert python_minor("3.12") == (3, 12)
    assert python_minor("3") is None


def test_host_is_newest_verified_non_legacy_cpython() -> None:
    found = [
        _interp("3.14.0"),
        _interp("3.13.0"),
        _interp("3.13.1", free_threaded=True),
        _interp("3.12.1"),
        _interp("3.7.16"),
        _interp("2.7.18"),
        _interp("3.13.2", implementation="PyPy"),
    ]
    host = choose_host(found)
    assert host is not None
    assert host.version == "3.13.0"


def test_host_falls_back_to_newer_unverified_and_none_when_only_legacy() -> None:
    newer = choose_host([_interp("3.14.0"), _interp("3.7.16")])
    assert newer is not None
    assert newer.version == "3.14.0"
    assert choose_host([_interp("3.7.16"), _interp("2.7.18"), _interp("3.6.15")]) is None


def test_host_prefers_an_interpreter_that_is_not_externally_managed() -> None:
    host = choose_host([_interp("3.11.2", externally_managed=True, path="/usr/bin/python3"), _interp("3.11.2")])
    assert host is not None
    assert host.path == "/py/3.11.2/bin/python"


@pytest.mark.parametrize(
    ("version", "ok"), [("2.7.18", True), ("3.4.10", False), ("3.5.10", True), ("3.7.16", True), ("2.6.9", False)]
)
def test_virtualenv_creator_serves_27_and_35_up(version: str, ok: bool) -> None:
    reason = VirtualenvCreator().cannot_create(_interp(version))
    assert (reason is None) is ok


def test_virtualenv_creator_refuses_free_threaded() -> None:
    reason = VirtualenvCreator().cannot_create(_interp("3.13.0", free_threaded=True))
    assert reason is not None
    assert "free-threaded" in reason


def test_virtualenv_environment_drops_user_virtualenv_and_pip_settings() -> None:
    env = virtualenv_environ(
        {
            "VIRTUALENV_NO_SEED": "1",
            "PIP_INDEX_URL": "http://x",
            "PATH": "/bin",
            "PYTHONPATH": "/evil",
            "VIRTUAL_ENV": "/other",
        }
    )
    assert "VIRTUALENV_NO_SEED" not in env
    assert "PYTHONPATH" not in env
    assert "VIRTUAL_ENV" not in env
    assert env["PIP_CONFIG_FILE"] == env["VIRTUALENV_CONFIG_FILE"]
    assert "PIP_INDEX_URL" not in env
    assert env["PATH"] == "/bin"


def test_missing_or_foreign_toolchain_is_not_ready(tmp_path: Path) -> None:
    assert find_virtualenv(tmp_path) is None
    root = toolchain_dir(tmp_path)
    root.mkdir(parents=True)
    (root / "corral-toolchain.json").write_text('{"virtualenv": "20.21.1"}', encoding="utf-8")
    assert find_virtualenv(tmp_path) is None  # no interpreter, no pyvenv.cfg: a half-made folder never counts


def _env_with_cfg(root: Path, version: str) -> Path:
    root.mkdir(parents=True)
    (root / "pyvenv.cfg").write_text(f"home = /x/bin\nversion_info = {version}\n", encoding="utf-8")
    return root


def test_notice_for_env_reads_pyvenv_cfg_and_respects_the_setting(tmp_path: Path) -> None:
    legacy = _env_with_cfg(tmp_path / "old", "2.7.18.final.0")
    modern = _env_with_cfg(tmp_path / "new", "3.12.1")
    on = Context(cwd=tmp_path, environ={"CORRAL_HOME": str(tmp_path / "home")})
    notice = notice_for_env(on, legacy)
    assert notice is not None
    assert notice.startswith("Python 2.7 reached end of life on 2020-01-01")
    assert notice_for_env(on, modern) is None
    assert notice_for_env(on, tmp_path / "nowhere") is None
    off = Context(cwd=tmp_path, environ={"CORRAL_HOME": str(tmp_path / "home"), "CORRAL_LEGACY_NOTICE": "0"})
    assert notice_for_env(off, legacy) is None


def test_notice_is_silenced_by_the_project_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "0"\n[tool.corral]\nlegacy-notice = false\n', encoding="utf-8"
    )
    legacy = _env_with_cfg(tmp_path / ".venv", "3.6.15")
    ctx = Context(cwd=tmp_path, environ={"CORRAL_HOME": str(tmp_path / "home")})
    assert notice_for_env(ctx, legacy) is None
