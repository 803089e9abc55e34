"""Text and values from untrusted files never reach a generated file or an engine, and never crash corral.

Each CLI test is an attack (or a damaged file) that worked before the fix: a lock url carrying `-r FILE` into
the installer's requirements file, a prompt adding keys to pyvenv.cfg, files that are not UTF-8 or nested
100 000 levels deep, wrong-typed records, CORRAL_* variables with wrong values, a pyvenv.cfg whose Python
cannot start. The unit tests pin the one validator of each kind of input (core.safe_text, core.pylock_check,
infra.toml_file, infra.json_file, services.config, core.provenance).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import RunResult, corral_exe, pyenv_python
from corral import __version__
from corral.core.deps import ProjectDeps
from corral.core.plan import SyncPlan
from corral.core.protocols import CreateRequest
from corral.core.provenance import Provenance
from corral.core.pylock_check import check_lock
from corral.core.pyvenv_cfg import PyvenvCfg
from corral.core.safe_text import reject_control_chars
from corral.engines._reqfile import apply_plan, requirements_file
from corral.errors import ConfigError, LockError, ShellError, UnsafeText
from corral.infra.json_file import parse_json_object
from corral.infra.toml_file import parse_toml, read_toml
from corral.kernels.spec import build_spec
from corral.services.config import Settings
from corral.shells.csh import csh_quote
from support.reliability import fake_env, subprocess_environ, tree_digest
from support.toml import tomllib
from support.wheelhouse import WHEELHOUSE

SECRET = "TOPSECRET-5e1d0c"  # noqa: S105 - a marker that must never be printed
SHA = "a" * 64
Corral = Callable[..., RunResult]
PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = []

[tool.corral]
seed = false
"""


def lock_text(
    url: str = "https://files.example/alpha-1.0-py3-none-any.whl",
    *,
    name: str = "alpha",
    version: str = "1.0",
    sha: str = SHA,
    extra: str = "",
) -> str:
    """A one-wheel pylock.toml (TOML basic strings: `url` may hold escapes such as \\n)."""
    return (
        f'lock-version = "1.0"\ncreated-by = "corral"\nrequires-python = ">=3.12"\n{extra}'
        f'[[packages]]\nname = "{name}"\nversion = "{version}"\n[[packages.wheels]]\n'
        f'name = "alpha-1.0-py3-none-any.whl"\nurl = "{url}"\nhashes = {{ sha256 = "{sha}" }}\n'
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / ".python-version").write_text(f"{pyenv_python('3.12')}\n", encoding="utf-8")
    (tmp_path / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    return root


def one_error(result: RunResult | subprocess.CompletedProcess[str]) -> str:
    """The single `error:` line of a run (no traceback, no internal error)."""
    out = result.stdout + result.stderr
    assert "Traceback" not in out, out
    assert "internal error" not in out, out
    assert SECRET not in out, out
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, out
    return errors[0]


def run_subprocess(args: list[str], cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """corral as a real process (needed when `corral run` execs, and for the stdlib fast paths)."""
    return subprocess.run(
        [*corral_exe(), *args],
        cwd=cwd,
        env=subprocess_environ(**extra),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# ---------------------------------------------------------------- item 5a: lock urls reach the requirements file


@pytest.mark.integration
@pytest.mark.parametrize("engine", ["pip", "uv"])
def test_lock_url_with_r_file_is_refused_before_anything_happens(
    engine: str, corral: Corral, project: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """`url = "...whl\\n-r FILE\\n"` made pip read FILE as requirements and print its lines."""
    if engine == "pip":  # the pip engine runs the env's own pip: a seeded env first, as a user would have
        if not WHEELHOUSE.is_dir():
            pytest.skip("the seed wheelhouse is missing (python tools/fetch_wheelhouse.py)")
        index = request.getfixturevalue("local_index")
        monkeypatch.setenv("UV_INDEX_URL", index.simple_url)
        monkeypatch.setenv("PIP_INDEX_URL", index.simple_url)
        assert corral("venv", "--seed", cwd=project).exit_code == 0
    secret = project.parent / "secret.txt"
    (project / "pylock.toml").write_text(
        lock_text(f"https://x.invalid/alpha-1.0-py3-none-any.whl\\n-r {secret}\\n"), encoding="utf-8"
    )
    monkeypatch.setenv("CORRAL_ENGINE", engine)
    before = tree_digest(project.parent)
    result = corral("sync", "--frozen", cwd=project)
    error = one_error(result)
    assert result.exit_code == 1
    assert "pylock.toml" in error and "packages[0] (alpha) wheels[0] url" in error and "newline" in error, error
    assert "corral lock" in error
    assert tree_digest(project.parent) == before


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://x.invalid/alpha-1.0-py3-none-any.whl --requirement /etc/passwd", "space"),
        ("https://x.invalid/a.whl\\r--index-url=https://evil", "carriage return"),
        ("https://x.invalid/a.whl\\u2028-r /etc/passwd", "U+2028"),
        ("ftp://x.invalid/alpha-1.0-py3-none-any.whl", "https/http/file URL"),
        ("-r/etc/passwd", "https/http/file URL"),
    ],
)
def test_check_lock_refuses_urls_an_engine_would_misread(url: str, why: str) -> None:
    with pytest.raises(LockError, match="run `corral lock`") as caught:
        check_lock(tomllib.loads(lock_text(url)), origin="/p/pylock.toml")
    assert "/p/pylock.toml" in str(caught.value) and "packages[0] (alpha)" in str(caught.value)
    assert why in str(caught.value)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (lock_text(name="-r/etc/passwd"), "not a valid package name"),
        (lock_text(version="1.0 --pre"), "not a valid version"),
        (lock_text(sha="z" * 64), "not a hexadecimal digest"),
        (lock_text(sha="a" * 63), "63 hex digits"),
        (lock_text(extra='default-groups = "dev"\n'), "default-groups"),
        ('lock-version = "1.0"\ncreated-by = "x"\npackages = 7\n', "packages: must be an array of tables"),
        ('lock-version = "1.0"\ncreated-by = "x"\npackages = ["alpha"]\n', "packages[0]: must be a table"),
    ],
)
def test_check_lock_refuses_wrong_names_versions_hashes_and_types(text: str, why: str) -> None:
    with pytest.raises(LockError, match=r"pylock\.toml") as caught:
        check_lock(parse_toml(text, origin="pylock.toml"), origin="pylock.toml")
    assert why in str(caught.value)


def test_check_lock_accepts_what_pep_751_tools_write() -> None:
    vcs = (
        '[[packages]]\nname = "tool"\n[packages.vcs]\ntype = "git"\nurl = "ssh://git@host/tool.git"\n'
        'commit-id = "0123abcd"\nsubdirectory = "src/tool"\n'
        '[[packages]]\nname = "demo"\n[packages.directory]\npath = "."\neditable = true\n'
    )
    data = parse_toml(
        lock_text("file:///wheels/alpha-1.0-py3-none-any.whl", extra="extras = []\n") + vcs, origin="pylock.toml"
    )
    assert check_lock(data, origin="pylock.toml")["packages"][1]["vcs"]["type"] == "git"


def test_requirements_file_writer_refuses_control_characters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second wall: whatever reaches the writer, a line cannot add lines of its own."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(UnsafeText, match="newline"), requirements_file(["alpha @ https://x/a.whl\n-r /etc/passwd"]):
        pass
    assert list(tmp_path.iterdir()) == []


def test_engine_never_gets_an_option_as_a_name_to_uninstall(tmp_path: Path) -> None:
    """A distribution whose metadata says `Name: -r/etc/passwd` would be an option to `uv pip uninstall`."""
    calls: list[object] = []
    plan = SyncPlan(remove=(("-r/etc/passwd", "1.0"),))
    with pytest.raises(UnsafeText, match="not a package name"):
        apply_plan(plan, install=lambda *a: calls.append(a), uninstall=calls.append, progress=None)
    assert calls == []


# ---------------------------------------------------------------- item 5b: prompt and paths reach pyvenv.cfg


@pytest.mark.integration
def test_prompt_flag_with_newline_writes_no_pyvenv_cfg_key(corral: Corral, tmp_path: Path) -> None:
    result = corral(
        "venv",
        str(tmp_path / "env"),
        "--python",
        str(pyenv_python("3.12")),
        "--prompt",
        "x\ninclude-system-site-packages = true",
        cwd=tmp_path,
    )
    error = one_error(result)
    assert result.exit_code == 2
    assert "prompt" in error and "newline" in error
    assert not (tmp_path / "env").exists()


@pytest.mark.integration
@pytest.mark.parametrize("where", ["tool.corral", "environ"])
def test_prompt_setting_with_newline_is_refused_at_load(
    where: str, corral: Corral, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if where == "environ":
        monkeypatch.setenv("CORRAL_PROMPT", "x\ninclude-system-site-packages = true")
    else:
        with (project / "pyproject.toml").open("a", encoding="utf-8") as handle:
            handle.write('prompt = "x\\ninclude-system-site-packages = true"\n')
    before = tree_digest(project)
    result = corral("sync", cwd=project)
    error = one_error(result)
    assert result.exit_code == 2
    assert ("CORRAL_PROMPT" if where == "environ" else "[tool.corral] prompt") in error
    assert tree_digest(project) == before


def test_create_request_refuses_control_characters_in_prompt_and_path() -> None:
    interp: Any = object()
    with pytest.raises(UnsafeText, match="prompt"):
        CreateRequest(dest=Path("/envs/env"), interpreter=interp, prompt="a\x1b]0;x\x07")
    with pytest.raises(UnsafeText, match="folder"):
        CreateRequest(dest=Path("/envs/a\ninclude-system-site-packages = true"), interpreter=interp)


def test_pyvenv_cfg_writer_refuses_a_value_that_adds_a_line() -> None:
    with pytest.raises(UnsafeText):
        PyvenvCfg({"home": "/usr/bin\rinclude-system-site-packages = true"}).render()


def test_kernel_display_name_with_newline_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeText, match="display name"):
        build_spec(
            python="/env/bin/python",
            version=(3, 12),
            display_name="Python 3.12\n(evil)",
            env_path=tmp_path,
            project_root=None,
        )


@pytest.mark.integration
def test_tcsh_activation_of_a_path_with_a_newline_is_a_clear_error(corral: Corral, tmp_path: Path) -> None:
    env = fake_env(tmp_path / "line\nbreak" / "env")
    result = corral("activate", "--shell", "tcsh", "--env", str(env), cwd=tmp_path)
    assert result.exit_code == 2
    assert "tcsh" in one_error(result)
    bash = corral("activate", "--shell", "bash", "--env", str(env), cwd=tmp_path)
    assert bash.exit_code == 0 and "line\nbreak" in bash.stdout  # POSIX single quotes hold a newline


def test_csh_quote_raises_the_usage_error_class() -> None:
    with pytest.raises(ShellError):
        csh_quote("a\nb")


@pytest.mark.parametrize("value", ["x\ny", "x\ry", "x\x00", "x\x1b[2J", "x\u2028y", "x\x85"])
def test_reject_control_chars_names_the_place(value: str) -> None:
    with pytest.raises(UnsafeText, match="--prompt"):
        reject_control_chars(value, "prompt", "--prompt")
    assert reject_control_chars("plain é ü", "prompt", "--prompt") == "plain é ü"


# ---------------------------------------------------------------- item 6: damaged and wrong-typed files


def _deep(n: int = 100_000) -> str:
    return "[" * n + "]" * n


@pytest.mark.integration
@pytest.mark.parametrize(
    ("command", "content"),
    [
        (["sync"], b'[project]\nname = "d\xe9mo"\n'),
        (["run", "python", "-V"], b'[project]\nname = "d\xe9mo"\n'),
        (["sync"], f'[project]\nname = "demo"\nx = {_deep()}\n'.encode()),
        (["run", "python", "-V"], f'[project]\nname = "demo"\nx = {_deep()}\n'.encode()),
        (["add", "alpha"], f'[project]\nname = "demo"\nx = {_deep()}\n'.encode()),
    ],
)
def test_damaged_pyproject_is_one_line_from_the_fast_paths(command: list[str], content: bytes, project: Path) -> None:
    """The no-op `sync`/`run` shortcuts run before the CLI's error handling: they must hand over, not crash."""
    (project / "pyproject.toml").write_bytes(content)
    before = tree_digest(project)
    done = run_subprocess(command, project)
    error = one_error(done)
    assert done.returncode == 2
    assert "pyproject.toml" in error
    assert ("line 2" in error) if b"\xe9" in content else ("nested too deeply" in error)
    assert tree_digest(project) == before


@pytest.mark.integration
@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'lock-version = "1.0"\ncreated-by = "x\xff"\npackages = []\n', ["not UTF-8", "line 2"]),
        (f'lock-version = "1.0"\ncreated-by = "x"\npackages = []\na = {_deep()}\n'.encode(), ["nested too deeply"]),
        (b'lock-version = "1.0"\ncreated-by = "x"\n[[packages]]\nname = 7\n', ["packages[0]", "corral lock"]),
    ],
)
@pytest.mark.parametrize("command", [["sync", "--frozen"], ["tree"], ["export", "--frozen"]])
def test_damaged_lock_is_one_line_naming_it(
    command: list[str], content: bytes, words: list[str], corral: Corral, project: Path
) -> None:
    (project / "pylock.toml").write_bytes(content)
    before = tree_digest(project)
    result = corral(*command, cwd=project)
    error = one_error(result)
    assert result.exit_code in {1, 2}
    assert "pylock.toml" in error
    for word in words:
        assert word in error
    assert tree_digest(project) == before


@pytest.mark.integration
@pytest.mark.parametrize("record", ["[1, 2]", '{"location": 5}', "{", "\xff"])
def test_wrong_corral_env_json_is_no_internal_error(record: str, corral: Corral, project: Path) -> None:
    assert corral("venv", cwd=project).exit_code == 0
    (project / ".venv" / "corral-env.json").write_bytes(record.encode("latin-1"))
    for command in (["info", ".venv"], ["sync"], ["envs", "list"]):
        result = corral(*command, cwd=project)
        assert result.exit_code == 0, (command, result)
        assert "internal error" not in result.stderr
    doctor = corral("doctor", cwd=project)
    assert "corral-env.json is damaged" in doctor.stdout, doctor


@pytest.mark.integration
@pytest.mark.parametrize(
    "stamp",
    [
        "[1]",
        ('{"schema": 1, "corral": "%s", "lock": [1], "site": [1], "user_config": "x", "pyproject": 5}'),
        '{"schema": 1',
    ],
)
def test_wrong_corral_sync_json_counts_as_no_stamp(stamp: str, project: Path) -> None:
    assert run_subprocess(["sync"], project).returncode == 0
    (project / ".venv" / "corral-sync.json").write_text(stamp.replace("%s", __version__), encoding="utf-8")
    for command in (["run", "python", "-c", "print('ran')"], ["sync"]):
        done = run_subprocess(command, project)
        assert done.returncode == 0, done
        assert "Traceback" not in done.stderr


@pytest.mark.integration
@pytest.mark.parametrize(
    ("cfg", "code", "runnable"),
    [
        (b"\x00\xff\xfe garbage\n", "pyvenv.cfg is not UTF-8", False),
        (b"", "no `home = ...` line", True),
        (b"home = {home}\nversion_info = 3.12.1\n=== garbage\n", "line 3 is not `key = value`", True),
        (b"home = /etc\nversion_info = 3.12.1\n", "holds no Python executable", True),
    ],
)
def test_doctor_reports_a_damaged_pyvenv_cfg(
    cfg: bytes, code: str, runnable: bool, corral: Corral, project: Path
) -> None:
    assert corral("venv", cwd=project).exit_code == 0
    home = str(pyenv_python("3.12").parent).encode()
    (project / ".venv" / "pyvenv.cfg").write_bytes(cfg.replace(b"{home}", home))
    result = corral("doctor", "--json", cwd=project)
    report = json.loads(result.stdout)
    messages = [f["message"] for f in report["data"]["findings"] if f["code"] == "pyvenv-cfg-damaged"]
    assert any(code in m for m in messages), report
    assert result.exit_code == 1
    not_runnable = [f for f in report["data"]["findings"] if f["code"] == "python-not-runnable"]
    assert bool(not_runnable) is not runnable, report


# ---------------------------------------------------------------- item 6: settings with wrong types or values


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"CORRAL_PROMPT": "a\nb"}, ["CORRAL_PROMPT", "newline"]),
        ({"CORRAL_INDEX_URL": "https://x/simple --trusted-host evil"}, ["CORRAL_INDEX_URL", "not a package index URL"]),
        ({"CORRAL_EXTRA_INDEX_URLS": "ftp://x/simple"}, ["CORRAL_EXTRA_INDEX_URLS"]),
        ({"CORRAL_DEFAULT_GROUPS": "-r/etc/passwd"}, ["CORRAL_DEFAULT_GROUPS", "not a dependency group name"]),
        ({"CORRAL_VENV_DIR": "x\ny"}, ["CORRAL_VENV_DIR"]),
        ({"CORRAL_PYTHON": " "}, ["CORRAL_PYTHON", "empty"]),
        ({"CORRAL_SEED": "often"}, ["CORRAL_SEED"]),
    ],
)
def test_every_setting_source_is_validated_at_load(environ: dict[str, str], words: list[str]) -> None:
    with pytest.raises((ConfigError, UnsafeText)) as caught:
        Settings(environ=environ).validate()
    for word in words:
        assert word in str(caught.value)


def test_project_table_values_are_validated_at_load(tmp_path: Path) -> None:
    file = tmp_path / "pyproject.toml"
    with pytest.raises(ConfigError, match=r"\[tool.corral\] venv-dir"):
        Settings(environ={}, project_table={"venv-dir": 3}, project_file=file).validate()
    with pytest.raises(UnsafeText, match=r"\[tool.corral\] prompt"):
        Settings(environ={}, project_table={"prompt": "x\ny"}, project_file=file).validate()


@pytest.mark.integration
def test_default_groups_variable_naming_no_group_changes_nothing(
    corral: Corral, project: Path, monkeypatch: pytest.MonkeyPatch, local_index: Any
) -> None:
    """CORRAL_DEFAULT_GROUPS=5 rewrote the committed lock without its dev group and uninstalled the group."""
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    text = PYPROJECT.replace("[tool.corral]", '[dependency-groups]\ndev = ["alpha"]\n\n[tool.corral]')
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    assert corral("sync", cwd=project).exit_code == 0
    before = tree_digest(project)
    monkeypatch.setenv("CORRAL_DEFAULT_GROUPS", "5")
    result = corral("sync", cwd=project)
    error = one_error(result)
    assert result.exit_code == 2
    assert "CORRAL_DEFAULT_GROUPS" in error and "'5'" in error and "dev" in error
    assert tree_digest(project) == before


def test_project_and_group_names_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"\[project\].name"):
        ProjectDeps.from_pyproject({"project": {"name": "x\ninclude-system-site-packages = true"}})
    with pytest.raises(ConfigError, match="group name"):
        ProjectDeps.from_pyproject({"project": {"name": "demo"}, "dependency-groups": {"dev\n-r x": []}})


# ---------------------------------------------------------------- the shared readers


def test_toml_reader_turns_every_failure_into_one_config_error(tmp_path: Path) -> None:
    cases = {
        "bytes.toml": b'a = "\xff"\n',
        "deep.toml": f"a = {_deep()}\n".encode(),
        "tables.toml": ("a = " + "{b = " * 100_000 + "1" + "}" * 100_000 + "\n").encode(),
        "syntax.toml": b"a = \n",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ConfigError, match=name):
            read_toml(tmp_path / name)


@pytest.mark.parametrize("text", ["[1, 2]", "5", "{", "\xff", "[" * 100_000 + "]" * 100_000])
def test_json_reader_accepts_only_an_object(text: str) -> None:
    with pytest.raises(ConfigError, match=r"corral-env\.json"):
        parse_json_object(text.encode("latin-1"), origin="corral-env.json")


@pytest.mark.parametrize("data", [[1, 2], {"location": 5}, {"creator": "uv"}, "x"])
def test_provenance_from_dict_rejects_wrong_shapes(data: object) -> None:
    with pytest.raises(ValueError, match=r"corral-env\.json"):
        Provenance.from_dict(data)


@pytest.mark.integration
@pytest.mark.parametrize("cfg", [b"\x00\xff\xfe garbage\n", b"home = {home}\nversion_info = 3.12.1\n\xff\n"])
def test_upgrade_of_an_env_with_a_binary_pyvenv_cfg_is_no_internal_error(
    cfg: bytes, corral: Corral, project: Path
) -> None:
    assert corral("venv", cwd=project).exit_code == 0
    home = str(pyenv_python("3.12").parent).encode()
    (project / ".venv" / "pyvenv.cfg").write_bytes(cfg.replace(b"{home}", home))
    before = tree_digest(project)
    result = corral("upgrade", "--python", str(pyenv_python("3.12")), cwd=project)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result
    if result.exit_code == 0:  # no version could be read: the env was rebuilt from the lock, as for X.Y changes
        assert "rebuilt" in result.stdout
        (project / ".venv" / "pyvenv.cfg").read_text(encoding="utf-8")
    else:  # the same X.Y in a damaged file: refused, nothing touched
        assert result.exit_code == 1
        assert "pyvenv.cfg" in one_error(result)
        assert tree_digest(project) == before


def test_a_locked_folder_with_spaces_is_one_token_of_every_installer_line(tmp_path: Path) -> None:
    # `../my lib` is a real folder name (uv locks it); a hostile lock's `x --index-url=...` is the same shape: both
    # must reach pip and uv as one path, never as an option
    from corral.core.pylock_select import Chosen
    from corral.engines._reqfile import requirement_lines

    hostile = tmp_path / "x --index-url=http:" / "127.0.0.1:9" / "evil"
    lock = {
        "lock-version": "1.0",
        "created-by": "t",
        "packages": [
            {"name": "lib", "directory": {"path": "../my lib", "editable": True}},
            {"name": "evil", "directory": {"path": str(hostile)}},
        ],
    }
    assert check_lock(lock, origin="pylock.toml") == lock
    with pytest.raises(LockError, match="control characters"):
        check_lock({**lock, "packages": [{"name": "x", "directory": {"path": "a\nb"}}]}, origin="pylock.toml")
    lines = requirement_lines(
        [
            Chosen(name="lib", version=None, kind="directory", url=(tmp_path / "my lib").as_uri(), editable=True),
            Chosen(name="evil", version=None, kind="directory", url=hostile.as_uri(), editable=True),
            Chosen(name="plain", version=None, kind="directory", url=(tmp_path / "plain").as_uri(), editable=True),
        ]
    )
    assert lines == [
        f"-e {(tmp_path / 'my lib').as_uri()}",
        f"-e {hostile.as_uri()}",
        f"-e {tmp_path / 'plain'}",
    ]
    assert all(" " not in line.removeprefix("-e ") for line in lines)
