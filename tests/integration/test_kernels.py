"""Jupyter kernels tied to the env's life: real ipykernel from a local index, real kernels run by jupyter_client.

The lock is universal (every platform requires-python admits), so it needs metadata for ipykernel's off-Linux
dependencies (appnope on macOS, colorama on Windows, cffi on PyPy). When the wheelhouse lacks them, small
stand-in wheels are served beside it: they appear in the lock under their platform markers and are never
installed on this Linux CPython.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.index import serve_index
from support.toml import tomllib
from support.wheelhouse import require_wheelhouse
from support.wheels import Package, build_packages

pytestmark = pytest.mark.integration

_OFF_LINUX = (("appnope", "0.1.4"), ("colorama", "0.4.6"), ("cffi", "2.0.0"))
_PYPROJECT = (
    '[project]\nname = "Demo_Proj"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = []\n\n'
    "[dependency-groups]\ndev = []\n"
)


@dataclass(frozen=True)
class Run:
    """Exit code and output of one in-process corral call."""

    code: int
    out: str
    err: str


def _corral(*args: str, cwd: Path) -> Run:
    from corral.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["-C", str(cwd), *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def jupyter_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PEP 503 index over the wheelhouse (ipykernel + deps) and stand-ins for missing off-Linux deps."""
    wheelhouse = require_wheelhouse("ipykernel-*.whl", "jupyter_client-*.whl", "pyzmq-*.whl")
    stubs = [Package(n, v) for n, v in _OFF_LINUX if not any(wheelhouse.glob(f"{n}-*"))]
    dirs = [wheelhouse]
    if stubs:
        built = build_packages(tmp_path_factory.mktemp("offlinux"), tuple(stubs))
        dirs.append(next(iter(built.values()))[0].parent)
    with serve_index(*dirs) as index:
        yield index.simple_url


@dataclass(frozen=True)
class Home:
    """Folders one kernel test world lives in."""

    root: Path
    jupyter: Path
    corral_home: Path
    index: str

    def apply(self, mp: pytest.MonkeyPatch) -> None:
        """Point corral, uv/pip and Jupyter at this world."""
        mp.setenv("JUPYTER_DATA_DIR", str(self.jupyter))
        mp.setenv("CORRAL_HOME", str(self.corral_home))
        mp.setenv("UV_INDEX_URL", self.index)
        mp.setenv("PIP_INDEX_URL", self.index)
        for key in ("JUPYTER_PATH", "JUPYTER_PLATFORM_DIRS", "JUPYTER_PREFER_ENV_PATH"):
            mp.delenv(key, raising=False)


def _new_home(base: Path, index: str, python: str) -> Home:
    root = base / "proj"
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(_PYPROJECT, encoding="utf-8")
    (root / ".python-version").write_text(python + "\n", encoding="utf-8")
    return Home(root=root, jupyter=base / "jupyter-data", corral_home=base / "corral-home", index=index)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, jupyter_index: str) -> Home:
    """One project (Python 3.12) with `corral kernel add` done once for the read-mostly tests."""
    home = _new_home(tmp_path_factory.mktemp("kshared"), jupyter_index, "3.12")
    with pytest.MonkeyPatch.context() as mp:
        home.apply(mp)
        done = _corral("kernel", "add", cwd=home.root)
        assert done.code == 0, done.err
    return home


@pytest.fixture
def kp(shared: Home, monkeypatch: pytest.MonkeyPatch) -> Home:
    """The shared kernel project, with this test's environment pointed at it."""
    shared.apply(monkeypatch)
    return shared


def _run_in_kernel(name: str, code: str) -> str:
    """Start kernel `name` with jupyter_client, run `code`, return what it printed."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name=name, startup_timeout=90)
    printed: list[str] = []

    def hook(msg: dict[str, Any]) -> None:
        if msg["header"]["msg_type"] == "stream":
            printed.append(msg["content"]["text"])

    try:
        reply = kc.execute_interactive(code, output_hook=hook, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return "".join(printed).strip()


def _spec(home: Home, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((home.jupyter / "kernels" / name / "kernel.json").read_text(encoding="utf-8"))
    return spec


# --- add: records, installs, writes the spec -------------------------------------------------------------------------


def test_kernel_add_records_ipykernel_in_a_default_jupyter_group(kp: Home) -> None:
    data = tomllib.loads((kp.root / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["dependency-groups"]["jupyter"] == ["ipykernel"]
    assert data["tool"]["corral"]["default-groups"] == ["dev", "jupyter"]
    lock = tomllib.loads((kp.root / "pylock.toml").read_text(encoding="utf-8"))
    assert "jupyter" in lock["default-groups"]
    assert "ipykernel" in {p["name"] for p in lock["packages"]}
    assert list((kp.root / ".venv" / "lib").glob("python3.12/site-packages/ipykernel/__init__.py"))


def test_kernel_json_has_ipykernels_shape_with_the_env_python_and_corral_metadata(kp: Home) -> None:
    spec = _spec(kp, "demo-proj")  # the default name: the project name, normalised
    env = kp.root / ".venv"
    assert spec["argv"] == [
        str(env / "bin" / "python"),
        "-Xfrozen_modules=off",
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
    ]
    assert spec["display_name"] == "Python 3.12 (Demo_Proj)"
    assert spec["language"] == "python"
    assert spec["metadata"] == {"debugger": True, "corral": {"env": str(env), "project": str(kp.root)}}
    logos = sorted(p.name for p in (kp.jupyter / "kernels" / "demo-proj").iterdir())
    assert logos == ["kernel.json", "logo-32x32.png", "logo-64x64.png", "logo-svg.svg"]


def test_registered_kernel_starts_the_project_env(kp: Home) -> None:
    printed = _run_in_kernel("demo-proj", "import sys; print(sys.prefix)")
    assert os.path.realpath(printed) == os.path.realpath(kp.root / ".venv")


def test_jupyter_client_lists_the_kernel_where_corral_wrote_it(kp: Home) -> None:
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    assert Path(specs["demo-proj"]) == kp.jupyter / "kernels" / "demo-proj"


def test_plain_sync_keeps_ipykernel(kp: Home) -> None:
    done = _corral("sync", cwd=kp.root)
    assert done.code == 0, done.err
    assert list((kp.root / ".venv" / "lib").glob("python3.12/site-packages/ipykernel/__init__.py"))


def test_kernel_list_json_shows_the_env_and_that_it_works(kp: Home) -> None:
    done = _corral("kernel", "list", "--json", cwd=kp.root)
    assert done.code == 0, done.err
    rows = {k["name"]: k for k in json.loads(done.out)["data"]["kernels"]}
    row = rows["demo-proj"]
    assert (row["status"], row["works"], row["managed"], row["scope"]) == ("ok", True, True, "user")
    assert row["env"] == str(kp.root / ".venv")


def test_kernel_list_shows_ipykernels_own_spec_in_the_env_as_the_envs_kernel(kp: Home) -> None:
    # ipykernel installs share/jupyter/kernels/python3 (argv[0] "python") into the env; a Jupyter running from the
    # env sees it and starts its own python: that is the env's kernel, not an UNKNOWN one
    env = kp.root / ".venv"
    bundled = env / "share" / "jupyter" / "kernels" / "python3" / "kernel.json"
    assert json.loads(bundled.read_text())["argv"][0] == "python"
    rows = {
        k["name"]: k
        for k in json.loads(_corral("kernel", "list", "--json", cwd=kp.root).out)["data"]["kernels"]
        if k["scope"] == "env"
    }
    assert (rows["python3"]["status"], rows["python3"]["env"]) == ("ok", str(env)), rows
    human = _corral("kernel", "list", cwd=kp.root)
    assert "UNKNOWN" not in human.out, human.out


def test_kernel_list_check_imports_ipykernel(kp: Home) -> None:
    done = _corral("kernel", "list", "--check", "--json", cwd=kp.root)
    rows = {k["name"]: k for k in json.loads(done.out)["data"]["kernels"]}
    assert rows["demo-proj"]["detail"] == "ipykernel_launcher imports"


def test_sys_prefix_kernel_with_custom_names_lives_in_the_env(kp: Home) -> None:
    done = _corral("kernel", "add", "--name", "Other.K", "--display-name", "Other one", "--sys-prefix", cwd=kp.root)
    assert done.code == 0, done.err
    folder = kp.root / ".venv" / "share" / "jupyter" / "kernels" / "other.k"
    assert done.out.strip() == str(folder)
    assert json.loads((folder / "kernel.json").read_text())["display_name"] == "Other one"
    listed = json.loads(_corral("kernel", "list", "--json", cwd=kp.root).out)["data"]["kernels"]
    assert {(k["name"], k["scope"]) for k in listed} >= {("other.k", "env"), ("demo-proj", "user")}
    removed = _corral("kernel", "remove", "other.k", cwd=kp.root)
    assert removed.code == 0, removed.err
    assert not folder.exists()


def test_adding_again_keeps_the_display_name_and_installs_nothing(kp: Home) -> None:
    before = (kp.root / "pyproject.toml").read_bytes()
    spec_file = kp.jupyter / "kernels" / "demo-proj" / "kernel.json"
    data = json.loads(spec_file.read_text())
    data["display_name"] = "Renamed by hand"
    spec_file.write_text(json.dumps(data))
    done = _corral("kernel", "add", cwd=kp.root)
    assert done.code == 0, done.err
    assert "recorded" not in done.err
    assert _spec(kp, "demo-proj")["display_name"] == "Renamed by hand"
    assert (kp.root / "pyproject.toml").read_bytes() == before


# --- refusals ---------------------------------------------------------------------------------------------------------


def test_invalid_kernel_name_is_refused_before_anything_changes(kp: Home) -> None:
    before = (kp.root / "pyproject.toml").read_bytes()
    done = _corral("kernel", "add", "--name", "My Kernel", cwd=kp.root)
    assert done.code == 2
    assert done.err.strip() == (
        "error: invalid kernel name 'My Kernel': kernel names may only hold lower-case ASCII "
        "letters, digits and the separators - . _; for example --name my-project"
    )
    assert (kp.root / "pyproject.toml").read_bytes() == before


def test_a_name_taken_by_another_interpreter_is_refused(kp: Home) -> None:
    other = kp.jupyter / "kernels" / "taken"
    other.mkdir(parents=True)
    (other / "kernel.json").write_text(
        json.dumps({"argv": [sys.executable, "-m", "ipykernel_launcher"], "display_name": "x", "language": "python"})
    )
    try:
        done = _corral("kernel", "add", "--name", "taken", cwd=kp.root)
        assert done.code == 2
        assert f"a kernel named 'taken' already exists at {other} and starts {sys.executable}" in done.err
        assert json.loads((other / "kernel.json").read_text())["argv"][0] == sys.executable
    finally:
        _corral("kernel", "remove", "taken", cwd=kp.root)
    assert not other.exists()


def test_removing_an_unknown_kernel_says_how_to_list_them(kp: Home) -> None:
    done = _corral("kernel", "remove", "nope", cwd=kp.root)
    assert (done.code, done.err.strip()) == (2, "error: no kernel named 'nope'; `corral kernel list` shows the names")


def test_a_failed_install_leaves_pyproject_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    with serve_index(tmp_path / "empty") as index:  # an index without ipykernel
        home = _new_home(tmp_path, index.simple_url, "3.12")
        home.apply(monkeypatch)
        before = (home.root / "pyproject.toml").read_bytes()
        done = _corral("kernel", "add", cwd=home.root)
    assert done.code != 0
    assert "error: cannot add 'ipykernel'" in done.err
    assert "Traceback" not in done.err
    assert (home.root / "pyproject.toml").read_bytes() == before
    assert not (home.jupyter / "kernels").exists()


@pytest.mark.parametrize("point", ["add.after-lock", "add.after-install", "txn.after-journal"])
def test_kill_during_kernel_add_keeps_group_default_groups_and_lock_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jupyter_index: str, point: str
) -> None:
    import os
    import subprocess
    import sys

    from support.toml import tomllib

    home = _new_home(tmp_path, jupyter_index, "3.12")
    home.apply(monkeypatch)
    killed = subprocess.run(
        [sys.executable, "-m", "corral", "kernel", "add"],
        cwd=home.root,
        env=dict(os.environ, CORRAL_FAULT=point),
        capture_output=True,
        text=True,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr
    # the next command finishes or rolls back the switch
    subprocess.run(
        [sys.executable, "-m", "corral", "lock", "--check"],
        cwd=home.root,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )
    data = tomllib.loads((home.root / "pyproject.toml").read_text())
    recorded = "jupyter" in data.get("dependency-groups", {})
    defaults = data.get("tool", {}).get("corral", {}).get("default-groups")
    # all or nothing: the group and the default-groups entry appear together
    assert recorded == (defaults is not None and "jupyter" in defaults), (recorded, defaults)
    lock = home.root / "pylock.toml"
    if recorded:
        assert "jupyter" in tomllib.loads(lock.read_text())["default-groups"]
    check = subprocess.run(
        [sys.executable, "-m", "corral", "lock", "--check"],
        cwd=home.root,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0 or not lock.exists(), check.stderr


# --- the kernel follows the env's life -------------------------------------------------------------------------------


def test_kernel_survives_recreate_and_upgrade_then_is_flagged_when_the_env_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jupyter_index: str
) -> None:
    home = _new_home(tmp_path, jupyter_index, "3.11")
    home.apply(monkeypatch)
    env = home.root / ".venv"
    assert _corral("kernel", "add", "--name", "life", cwd=home.root).code == 0
    assert _corral("kernel", "add", "--name", "life-env", "--sys-prefix", cwd=home.root).code == 0
    assert _run_in_kernel("life", "import sys; print(sys.version_info[:2])") == "(3, 11)"

    done = _corral("recreate", "--yes", cwd=home.root)
    assert done.code == 0, done.err
    assert _run_in_kernel("life", "import sys; print(sys.prefix)") == str(env)
    # the --sys-prefix kernel lived inside the old env folder: corral wrote it again into the new one
    assert (env / "share" / "jupyter" / "kernels" / "life-env" / "kernel.json").is_file()

    assert _spec(home, "life")["display_name"] == "Python 3.11 (Demo_Proj)"
    done = _corral("upgrade", "--python", "3.12", cwd=home.root)
    assert done.code == 0, done.err
    assert _run_in_kernel("life", "import sys; print(sys.version_info[:2], sys.prefix)") == f"(3, 12) {env}"
    assert _spec(home, "life")["display_name"] == "Python 3.12 (Demo_Proj)"  # the notebook UI names the new Python
    in_env = json.loads((env / "share/jupyter/kernels/life-env/kernel.json").read_text(encoding="utf-8"))
    assert in_env["display_name"] == "Python 3.12 (Demo_Proj)"

    doctor = _corral("doctor", "--json", cwd=home.root)
    codes = [f["code"] for f in json.loads(doctor.out)["data"]["findings"]]
    assert not [c for c in codes if c.startswith("kernel-")], doctor.out

    removed = _corral("envs", "rm", str(env), "--yes", cwd=home.root)
    assert removed.code == 0, removed.err
    assert f"Jupyter kernel 'life' started this env: removed {home.jupyter / 'kernels' / 'life'}" in removed.err
    assert not (home.jupyter / "kernels" / "life").exists()


def test_kernel_of_a_removed_env_is_flagged_by_list_and_doctor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jupyter_index: str
) -> None:
    home = _new_home(tmp_path, jupyter_index, "3.12")
    home.apply(monkeypatch)
    env = home.root / ".venv"
    assert _corral("kernel", "add", cwd=home.root).code == 0

    shutil.rmtree(env)  # deleted by hand, behind corral's back

    listed = json.loads(_corral("kernel", "list", "--json", cwd=home.root).out)["data"]["kernels"]
    row = next(k for k in listed if k["name"] == "demo-proj")
    assert (row["status"], row["works"]) == ("env-missing", False)
    human = _corral("kernel", "list", cwd=home.root)
    assert "demo-proj  ENV-MISSING" in human.out
    assert (
        f"warning: kernel 'demo-proj': the env {env} no longer exists; fix: `corral kernel remove demo-proj`"
        in human.err
    )

    doctor = _corral("doctor", cwd=home.root)
    assert doctor.code != 0
    assert "Jupyter kernel 'demo-proj' still starts this env" in doctor.err
    assert "`corral kernel remove demo-proj`" in doctor.err

    assert _corral("kernel", "remove", "demo-proj", "--yes", cwd=home.root).code == 0
    assert not (home.jupyter / "kernels" / "demo-proj").exists()
