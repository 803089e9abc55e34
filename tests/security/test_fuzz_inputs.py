"""Property-based fuzzing of every file a repository can ship: no input may crash corral.

pyproject.toml, pylock.toml, pyvenv.cfg, corral-env.json and corral-sync.json are generated as raw bytes, as odd
text and as structured documents with wrong types, control characters and odd unicode. They are fed to the
library functions that read those files (in-process, many examples) and, for fewer examples, to the real CLI
(`corral doctor`, `corral sync --frozen`, `corral info --json`) in a temporary project. The only acceptable
failure is one of corral's own errors (CorralError: one clear line); anything else is a bug.

Reproducible: derandomized, no example database, no deadline (the machine is shared).
CORRAL_FUZZ_SCALE=N multiplies the number of examples.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.markers import default_environment
from security_support import SECRET, corral_environ, find_problems, make_world, run_corral

from corral.core.deps import ProjectDeps
from corral.core.interpreter import InterpreterInfo
from corral.core.provenance import Provenance
from corral.core.pylock_check import check_lock
from corral.core.pylock_select import select_packages
from corral.core.pyvenv_cfg import PyvenvCfg
from corral.core.selection import Selection
from corral.engines._reqfile import hashed_lines
from corral.errors import CorralError
from corral.infra.paths import CorralPaths
from corral.infra.toml_file import read_toml
from corral.inventory.safety import refusal
from corral.services.config import Settings
from corral.services.inspection import inspect_env, read_provenance
from corral.services.project import Project
from corral.services.sync.stamp import is_noop
from corral.services.trust import check_trust

# CORRAL_FUZZ_SCALE=20 runs twenty times the examples (a deeper hunt than CI's ~30 s).
_SCALE = int(os.environ.get("CORRAL_FUZZ_SCALE", "1"))
LIBRARY = settings(
    max_examples=250 * _SCALE,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
CLI = settings(LIBRARY, max_examples=25 * _SCALE)

# ------------------------------------------------------------------ strategies

# Text as a hostile file holds it: control characters, bidi overrides, NUL, non-BMP, quotes and TOML/JSON syntax.
_ODD = [
    "\x00",
    "\n",
    "\r",
    "\t",
    "\x1b[2J",
    "\x1b]0;x\x07",
    "\u202e",
    "\u2028",
    "\ufeff",
    "\U0001f40d",
    "é",
    '"',
    "'",
    "\\",
    "=",
    "[",
    "]",
    "{",
    "}",
    "#",
    ";",
    " ",
    "-r ",
    "--index-url ",
    "../",
    "/",
    "~",
    "$HOME",
    "%s",
]
odd_text = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
    st.lists(st.sampled_from(_ODD) | st.text("abc.-_0123456789", max_size=4), max_size=8).map("".join),
)
plausible = st.sampled_from(
    [
        "demo",
        "alpha",
        "alpha>=1",
        "1.0",
        ">=3.12",
        "3.12",
        ".venv",
        "dev",
        "uv",
        "pip",
        "https://127.0.0.1:9/simple",
        "file:///nonexistent/x.whl",
        "",
    ]
)
scalar = st.one_of(
    odd_text,
    plausible,
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
)
toml_value = st.recursive(
    scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text | plausible, inner, max_size=4),
    max_leaves=12,
)


def _toml_key(key: str) -> str:
    return _toml_string(key)


def _toml_string(text: str) -> str:
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_inline(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_inline(v) for v in value) + "]"
    return "{" + ", ".join(f"{_toml_key(k)} = {_toml_inline(v)}" for k, v in value.items()) + "}"


def to_toml(document: dict[str, Any]) -> str:
    """A TOML document (top-level keys, every value inline)."""
    return "".join(f"{_toml_key(k)} = {_toml_inline(v)}\n" for k, v in document.items())


def _maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A plausible value, most of the time; otherwise anything at all (wrong type, odd text, nesting)."""
    return st.one_of(values, values, toml_value)


requirement = st.one_of(
    plausible,
    odd_text.map(lambda t: "alpha" + t),
    st.sampled_from(
        [
            "alpha\n-r ../secret.txt",
            "alpha @ file:///etc/passwd",
            "alpha; python_version > '3'",
            "alpha[fast]",
            "alpha @ https://127.0.0.1:9/a.whl\n--index-url http://127.0.0.1:9/",
        ]
    ),
)
corral_table = st.fixed_dictionaries(
    {},
    optional={
        key: _maybe(values)
        for key, values in {
            "venv-dir": st.sampled_from([".venv", "env", "../outside", "/elsewhere", "", ".", "a\nb"]),
            "default-groups": st.lists(st.sampled_from(["dev", "docs", "x\ny"]), max_size=3),
            "prompt": odd_text,
            "engine": st.sampled_from(["uv", "pip", "conda"]),
            "seed": st.booleans(),
            "index-url": st.sampled_from(["https://127.0.0.1:9/simple", "ftp://x", "http://a b/"]),
            "extra-index-urls": st.lists(st.sampled_from(["https://127.0.0.1:9/simple", "x\ny"]), max_size=2),
            "python": st.sampled_from(["3.12", ">=3.99", "banana", "/bin/sh"]),
            "creator": st.sampled_from(["uv", "venv", "virtualenv", "docker"]),
            "system-site-packages": st.booleans(),
        }.items()
    },
)
pyproject_doc = st.fixed_dictionaries(
    {},
    optional={
        "project": _maybe(
            st.fixed_dictionaries(
                {"name": _maybe(st.sampled_from(["demo", "my-app"]))},
                optional={
                    "version": _maybe(st.just("0.1.0")),
                    "requires-python": _maybe(st.sampled_from([">=3.12", ">=4"])),
                    "dependencies": _maybe(st.lists(requirement, max_size=3)),
                    "optional-dependencies": _maybe(
                        st.dictionaries(plausible | odd_text, st.lists(requirement, max_size=2), max_size=2)
                    ),
                },
            )
        ),
        "dependency-groups": _maybe(
            st.dictionaries(
                plausible | odd_text,
                st.lists(requirement | st.fixed_dictionaries({"include-group": plausible | odd_text}), max_size=2),
                max_size=2,
            )
        ),
        "tool": _maybe(st.fixed_dictionaries({}, optional={"corral": _maybe(corral_table)})),
    },
)
hexes = st.sampled_from(["0" * 64, "a" * 64, "zz", "", "0" * 63 + "\n"])
file_entry = st.fixed_dictionaries(
    {},
    optional={
        "name": _maybe(st.sampled_from(["alpha-2.0-py3-none-any.whl", "../x.whl", "a b.whl"])),
        "url": _maybe(
            st.sampled_from(
                [
                    "https://127.0.0.1:9/alpha-2.0-py3-none-any.whl",
                    "file:///etc/passwd",
                    "http://127.0.0.1:9/a.whl\n-r ../secret.txt",
                    "ftp://x/a.whl",
                    "a.whl --pre",
                ]
            )
        ),
        "path": _maybe(st.sampled_from(["a.whl", "../../x.whl", "/etc/passwd"])),
        "hashes": _maybe(st.fixed_dictionaries({"sha256": _maybe(hexes)})),
    },
)
package = st.fixed_dictionaries(
    {"name": _maybe(st.sampled_from(["alpha", "Alpha_", "al\npha"]))},
    optional={
        "version": _maybe(st.sampled_from(["2.0", "x", ""])),
        "marker": _maybe(
            st.sampled_from(
                ["python_version >= '3'", "'dev' in dependency_groups", "os_name == 'nt' or", "extra == 'x\ny'"]
            )
        ),
        "requires-python": _maybe(st.sampled_from([">=3.8", ">=9", "junk"])),
        "index": _maybe(
            st.sampled_from(
                [
                    "https://127.0.0.1:9/simple",
                    "https://127.0.0.1:9/simple/alpha/",
                    "ftp://x",
                    "https://127.0.0.1:9/s\nimple",
                ]
            )
        ),
        "wheels": _maybe(st.lists(file_entry, max_size=2)),
        "sdist": _maybe(file_entry),
        "archive": _maybe(file_entry),
        "directory": _maybe(
            st.fixed_dictionaries(
                {"path": _maybe(st.sampled_from([".", "..", "/"])), "editable": _maybe(st.booleans())}
            )
        ),
        "vcs": _maybe(
            st.fixed_dictionaries(
                {
                    "type": _maybe(st.sampled_from(["git", "cvs"])),
                    "url": _maybe(st.sampled_from(["https://127.0.0.1:9/r.git", "ext::sh"])),
                    "commit-id": _maybe(st.sampled_from(["abc123", "-c x"])),
                }
            )
        ),
    },
)
pylock_doc = st.fixed_dictionaries(
    {"lock-version": _maybe(st.sampled_from(["1.0", "2.0", "1"])), "created-by": _maybe(st.just("corral"))},
    optional={
        "requires-python": _maybe(st.sampled_from([">=3.8", "junk"])),
        "default-groups": _maybe(st.lists(plausible, max_size=2)),
        "dependency-groups": _maybe(st.lists(plausible, max_size=2)),
        "extras": _maybe(st.lists(plausible, max_size=2)),
        "packages": _maybe(st.lists(package, max_size=3)),
    },
)
raw_bytes = st.binary(max_size=200)
toml_text = st.one_of(
    pyproject_doc.map(to_toml), st.dictionaries(odd_text, toml_value, max_size=4).map(to_toml), odd_text
)
cfg_text = st.one_of(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "home",
                    "version",
                    "version_info",
                    "include-system-site-packages",
                    "uv",
                    "virtualenv",
                    "prompt",
                    "executable",
                ]
            )
            | odd_text,
            odd_text | plausible,
        ),
        max_size=6,
    ).map(lambda pairs: "".join(f"{k} = {v}\n" for k, v in pairs)),
    odd_text,
)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | odd_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
    max_leaves=12,
)
provenance_doc = st.fixed_dictionaries(
    {},
    optional={
        key: _maybe(values)
        for key, values in {
            "corral_version": st.just("0.1.0"),
            "creator": st.just("uv"),
            "location": st.sampled_from([".venv", "/", "{env}", "../x"]),
            "interpreter": st.just(sys.executable),
            "interpreter_realpath": st.just(sys.executable),
            "python_version": st.just("3.12.1"),
            "implementation": st.just("CPython"),
            "project": st.none() | st.just("{root}"),
            "created_at": st.just("x"),
            "options": st.dictionaries(plausible, scalar, max_size=2),
            "kind": st.sampled_from(["project", "script"]),
            "schema": st.integers(),
        }.items()
    },
)


def as_bytes(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """Encoded text, or raw bytes (not UTF-8, NUL, BOM)."""
    return st.one_of(
        strategy.map(lambda t: t.encode("utf-8")),
        raw_bytes,
        strategy.map(lambda t: b"\xef\xbb\xbf" + t.encode("utf-8")),
    )


pyproject_bytes = as_bytes(toml_text)
pylock_bytes = as_bytes(st.one_of(pylock_doc.map(to_toml), toml_text))
cfg_bytes = as_bytes(cfg_text)
record_bytes = as_bytes(st.one_of(provenance_doc.map(json.dumps), json_value.map(json.dumps), odd_text))


# ------------------------------------------------------------------ helpers


def only_corral_errors(call: Callable[[], Any]) -> Any:
    """Run `call`; a CorralError is a clear refusal (None), anything else propagates and fails the example."""
    try:
        return call()
    except CorralError as err:
        if not str(err).strip():
            pytest.fail(f"{type(err).__name__} with no message")
        return None


def _target() -> InterpreterInfo:

    return InterpreterInfo(
        path=sys.executable,
        realpath=sys.executable,
        implementation="CPython",
        version="{}.{}.{}".format(*sys.version_info[:3]),
        version_info=(sys.version_info[0], sys.version_info[1], sys.version_info[2]),
        machine="x86_64",
        pointer_bits=64,
        platform=sys.platform,
        prefix=sys.prefix,
        base_prefix=sys.base_prefix,
        marker_env={k: str(v) for k, v in default_environment().items()},
    )


def _fake_env(root: Path, cfg: bytes, record: bytes | None = None, stamp: bytes | None = None) -> Path:
    env = root / ".venv"
    (env / "bin").mkdir(parents=True, exist_ok=True)
    (env / "lib" / "python3.12" / "site-packages").mkdir(parents=True, exist_ok=True)
    if not (env / "bin" / "python").is_symlink():
        (env / "bin" / "python").symlink_to(sys.executable)
    (env / "pyvenv.cfg").write_bytes(cfg)
    if record is not None:
        (env / "corral-env.json").write_bytes(
            record.replace(b"{env}", os.fsencode(env)).replace(b"{root}", os.fsencode(root))
        )
    if stamp is not None:
        (env / "corral-sync.json").write_bytes(stamp)
    return env


# ------------------------------------------------------------------ library readers


@LIBRARY
@given(data=pyproject_bytes)
def test_toml_reader_gives_a_dict_or_one_clear_error(data: bytes) -> None:

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "pyproject.toml")
        path.write_bytes(data)
        result = only_corral_errors(lambda: read_toml(path))
        assert result is None or isinstance(result, dict)


@LIBRARY
@given(document=pyproject_doc)
def test_pyproject_readers_never_crash(document: dict[str, Any]) -> None:

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = Project(root=root, data=document)
        only_corral_errors(lambda: project.name)
        only_corral_errors(lambda: project.requires_python)
        only_corral_errors(lambda: project.env_path)
        table = only_corral_errors(lambda: project.tool)
        deps = only_corral_errors(lambda: ProjectDeps.from_pyproject(document))
        if deps is not None:
            only_corral_errors(deps.all_requirements)
        if table is not None:
            settings_ = Settings(environ={}, project_table=table, project_file=root / "pyproject.toml")
            only_corral_errors(settings_.validate)


@LIBRARY
@given(document=pylock_doc)
def test_lock_check_and_selection_never_crash_and_never_inject(document: dict[str, Any]) -> None:

    checked = only_corral_errors(lambda: check_lock(document, origin="pylock.toml"))
    if checked is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        chosen = only_corral_errors(
            lambda: select_packages(document, target=_target(), selection=Selection(), lock_dir=Path(tmp))
        )
    for item in chosen or []:
        for line in (item.requirement_line(), *hashed_lines([item])):
            assert not any(c in line for c in "\n\r\x00"), f"an injected line: {line!r}"
        assert not any(c.isspace() for c in item.url), f"whitespace in a url: {item.url!r}"


@LIBRARY
@given(data=pylock_bytes)
def test_lock_file_bytes_never_crash(data: bytes) -> None:

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "pylock.toml")
        path.write_bytes(data)
        parsed = only_corral_errors(lambda: read_toml(path))
        if parsed is not None:
            only_corral_errors(lambda: check_lock(parsed, origin=str(path)))


@LIBRARY
@given(text=cfg_text)
def test_pyvenv_cfg_parses_and_never_renders_a_new_key(text: str) -> None:

    cfg = PyvenvCfg.parse(text)
    for value in (cfg.home, cfg.version, cfg.system_site_packages, cfg.creator):
        assert value is None or isinstance(value, (str, bool))
    rendered = only_corral_errors(cfg.render)
    if rendered is not None:  # what corral writes back holds exactly the keys it read, no more
        assert set(PyvenvCfg.parse(rendered).values) == set(cfg.values), rendered


@LIBRARY
@given(cfg=cfg_bytes, record=record_bytes, stamp=record_bytes)
def test_env_readers_never_crash_and_never_trust_a_shipped_record(cfg: bytes, record: bytes, stamp: bytes) -> None:

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp, "proj")
        home = Path(tmp, "home")
        home.mkdir()
        env = _fake_env(root, cfg, record, stamp)
        (root / "pylock.toml").write_text('lock-version = "1.0"\ncreated-by = "x"\npackages = []\n')
        record_read = read_provenance(env)
        assert record_read is None or isinstance(record_read, Provenance)
        if record_read is not None:
            assert isinstance(record_read.location, str)
            assert isinstance(record_read.options, dict)
        only_corral_errors(lambda: inspect_env(env, with_size=False))
        paths = CorralPaths(data=Path(tmp, "d"), cache=Path(tmp, "c"), config=Path(tmp, "cfg"))
        reason = refusal(env, home=home, cwd=root, paths=paths)
        assert reason is None or isinstance(reason, str)
        trust = only_corral_errors(lambda: check_trust(paths, env))
        assert trust is None or not trust.trusted, f"a shipped env is trusted: {trust}"
        noop = is_noop(
            env=env, lock_path=root / "pylock.toml", pyproject=None, selection_key=None, frozen=True, environ={}
        )
        assert isinstance(noop, bool)


# ------------------------------------------------------------------ the real CLI

DEFAULT_PYPROJECT = (
    b'[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.12"\ndependencies = []\n'
    b"[tool.corral]\nseed = false\n"
)


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-cli")


def _cli(cli_home: Path, argv: list[str], files: dict[str, bytes], *, with_env: bytes | None = None) -> None:
    with tempfile.TemporaryDirectory(dir=cli_home) as tmp:
        world = make_world(Path(tmp, "case"), cli_home / "caches")
        for rel, data in files.items():
            (world.root / rel).write_bytes(data)
        if with_env is not None:
            _fake_env(world.root, f"home = {world.py312.parent}\nversion = 3.12.1\n".encode(), with_env)
        environ = corral_environ(world, None, {"UV_OFFLINE": "1", "PIP_NO_INDEX": "1"})
        run = run_corral(world, argv, environ=environ, timeout=60)
        problems = find_problems(run)
        assert not problems, f"{problems}\n{run.shown()}\nfiles: {files}"
        assert SECRET not in run.stdout + run.stderr


@CLI
@given(pyproject=pyproject_bytes, cfg=cfg_bytes, record=record_bytes)
def test_cli_doctor_never_crashes(cli_home: Path, pyproject: bytes, cfg: bytes, record: bytes) -> None:
    with tempfile.TemporaryDirectory(dir=cli_home) as tmp:
        world = make_world(Path(tmp, "case"), cli_home / "caches")
        (world.root / "pyproject.toml").write_bytes(pyproject)
        _fake_env(world.root, cfg, record)
        run = run_corral(world, ["doctor"], environ=corral_environ(world, None, {"UV_OFFLINE": "1"}), timeout=60)
        assert not find_problems(run), f"{find_problems(run)}\n{run.shown()}"


@CLI
@given(pyproject=pyproject_bytes, pylock=pylock_bytes)
def test_cli_sync_frozen_never_crashes(cli_home: Path, pyproject: bytes, pylock: bytes) -> None:
    _cli(
        cli_home,
        ["sync", "--frozen", "--offline"],
        {"pyproject.toml": pyproject, "pylock.toml": pylock, ".python-version": b"3.12\n"},
    )


@CLI
@given(pylock=pylock_bytes)
def test_cli_sync_frozen_with_a_valid_project_never_crashes(cli_home: Path, pylock: bytes) -> None:
    _cli(
        cli_home,
        ["sync", "--frozen", "--offline"],
        {"pyproject.toml": DEFAULT_PYPROJECT, "pylock.toml": pylock, ".python-version": b"3.12\n"},
    )


@CLI
@given(pyproject=pyproject_bytes, record=record_bytes)
def test_cli_info_json_never_crashes(cli_home: Path, pyproject: bytes, record: bytes) -> None:
    _cli(cli_home, ["info", "--json"], {"pyproject.toml": pyproject}, with_env=record)


@CLI
@given(pyproject=pyproject_bytes, cfg=cfg_bytes, record=record_bytes)
def test_cli_hook_never_breaks_the_prompt_nor_activates_a_shipped_env(
    cli_home: Path, pyproject: bytes, cfg: bytes, record: bytes
) -> None:
    with tempfile.TemporaryDirectory(dir=cli_home) as tmp:
        world = make_world(Path(tmp, "case"), cli_home / "caches")
        (world.root / "pyproject.toml").write_bytes(pyproject)
        _fake_env(world.root, cfg, record)
        run = run_corral(world, ["hook-eval", "bash"], environ=corral_environ(world, None), timeout=60)
        assert not find_problems(run), f"{find_problems(run)}\n{run.shown()}"
        assert run.exit_code == 0, run.shown()
        assert "VIRTUAL_ENV=" not in run.stdout, run.shown()


@pytest.fixture(scope="module")
def synced(cli_home: Path) -> tuple[Any, dict[str, Any]]:
    """One project synced by corral (its env is reused by every example) and its genuine sync stamp."""
    world = make_world(cli_home / "synced", cli_home / "caches")
    (world.root / "pyproject.toml").write_bytes(DEFAULT_PYPROJECT)
    (world.root / ".python-version").write_text(f"{world.py312}\n", encoding="utf-8")
    done = run_corral(world, ["sync"], environ=corral_environ(world, None, {"UV_OFFLINE": "1"}), timeout=120)
    assert done.exit_code == 0, done.shown()
    return world, json.loads((world.root / ".venv" / "corral-sync.json").read_text(encoding="utf-8"))


def _paths_in(stamp: dict[str, Any]) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for key, value in stamp.items():
        paths.append((key,))
        if isinstance(value, dict):
            paths.extend((key, inner) for inner in value)
    return paths


@CLI
@given(data=st.data())
def test_cli_run_fast_path_survives_any_stamp(synced: tuple[Any, dict[str, Any]], data: st.DataObject) -> None:
    world, genuine = synced
    stamp = json.loads(json.dumps(genuine))
    for path in data.draw(st.lists(st.sampled_from(_paths_in(genuine)), min_size=1, max_size=3)):
        holder = stamp
        for key in path[:-1]:
            holder = holder[key] if isinstance(holder.get(key), dict) else {}
        holder[path[-1]] = data.draw(json_value)
    text = data.draw(st.one_of(st.just(json.dumps(stamp)), record_bytes.map(lambda b: b.decode("utf-8", "replace"))))
    (world.root / ".venv" / "corral-sync.json").write_text(text, encoding="utf-8")
    run = run_corral(world, ["run", "true"], environ=corral_environ(world, None, {"UV_OFFLINE": "1"}), timeout=60)
    assert not find_problems(run), f"{find_problems(run)}\n{run.shown()}\nstamp: {text[:2000]}"
    assert run.exit_code == 0, run.shown()
