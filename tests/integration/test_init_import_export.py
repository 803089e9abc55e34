"""`corral init`, `import`, `export`, `tree`, `outdated` end to end against the local index."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import Corral, pyenv_python
from support.toml import tomllib

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration


@pytest.fixture
def indexed(monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex) -> str:
    url = local_index.simple_url
    monkeypatch.setenv("UV_INDEX_URL", url)
    monkeypatch.setenv("PIP_INDEX_URL", url)
    monkeypatch.setenv("CORRAL_SEED", "0")
    return url


def test_init_creates_pyproject_pin_and_env(tmp_path: Path, corral: Corral, indexed: str) -> None:
    python = pyenv_python("3.12")
    result = corral("init", str(tmp_path / "My App"), "--python", str(python), "--name", "my-app", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    root = tmp_path / "My App"
    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert data["project"] == {"name": "my-app", "version": "0.1.0", "requires-python": ">=3.12", "dependencies": []}
    assert (root / ".python-version").read_text().strip() == "3.12"
    assert (root / ".venv" / "pyvenv.cfg").is_file()
    assert (root / ".venv" / "corral-env.json").is_file()


def test_init_adopts_and_overwrites_nothing(tmp_path: Path, corral: Corral, indexed: str) -> None:
    root = tmp_path / "old"
    root.mkdir()
    original = '[project]\nname = "old"  # mine\nversion = "9"\ndependencies = ["alpha"]\n'
    (root / "pyproject.toml").write_text(original)
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n")
    result = corral("init", "--json", cwd=root)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)["data"]
    assert "pyproject.toml" in report["kept"] and ".python-version" in report["kept"]
    assert (root / "pyproject.toml").read_text() == original
    assert (root / ".venv" / "pyvenv.cfg").is_file()
    again = corral("init", "--json", cwd=root)
    assert again.exit_code == 0 and ".venv" in json.loads(again.stdout)["data"]["kept"]


def test_init_imports_requirements_txt_with_nesting_and_comments(tmp_path: Path, corral: Corral, indexed: str) -> None:
    root = tmp_path / "legacy"
    root.mkdir()
    (root / "requirements.txt").write_text(
        "# top\nalpha<2  # pinned\n-r more/dev.txt\n--index-url https://x.invalid/\n"
    )
    (root / "more").mkdir()
    (root / "more" / "dev.txt").write_text("beta \\\n   >=1.0\n\n-r ../base.txt\n")
    (root / "base.txt").write_text("delta==1.0 --hash=sha256:abc\n")
    result = corral("init", "--python", str(pyenv_python("3.12")), cwd=root)
    assert result.exit_code == 0, result.stderr
    deps = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    assert deps == ["alpha<2", "beta>=1.0", "delta==1.0"]
    assert "--index-url" in result.stderr and "not recorded" in result.stderr


def test_import_records_locks_installs_and_rejects_cycles(
    project: Path, corral: Corral, indexed: str, tmp_path: Path
) -> None:
    (project / ".python-version").write_text(str(pyenv_python("3.12")) + "\n")
    (project / "req.txt").write_text("cowsay-lite\n-r other.txt\n")
    (project / "other.txt").write_text("alpha==1.0\n")
    result = corral("import", "req.txt", "--dev", cwd=project)
    assert result.exit_code == 0, result.stderr
    data = tomllib.loads((project / "pyproject.toml").read_text())
    assert data["dependency-groups"]["dev"] == ["cowsay-lite", "alpha==1.0"]
    assert (project / "pylock.toml").is_file() and (project / ".venv/bin/cowsay-lite").exists()
    (project / "a.txt").write_text("-r b.txt\n")
    (project / "b.txt").write_text("-r a.txt\n")
    before = (project / "pyproject.toml").read_bytes()
    cyc = corral("import", "a.txt", cwd=project)
    assert cyc.exit_code == 2 and "cycle: a.txt -> b.txt -> a.txt" in cyc.stderr
    assert (project / "pyproject.toml").read_bytes() == before


def test_import_puts_an_included_dev_requirements_file_in_the_dev_group_and_keeps_comments(
    project: Path, corral: Corral, indexed: str
) -> None:
    # given requirements.txt that includes its dev requirements, with comments on the lines
    (project / ".python-version").write_text(str(pyenv_python("3.12")) + "\n")
    (project / "requirements.txt").write_text("# runtime\nalpha<2  # 2.0 breaks us\n-r dev-requirements.txt\n")
    (project / "dev-requirements.txt").write_text("cowsay-lite  # the demo CLI\n-r requirements/test.txt\n")
    (project / "requirements").mkdir()
    (project / "requirements" / "test.txt").write_text("delta==1.0\n")
    # when
    result = corral("import", "requirements.txt", cwd=project)
    # then each included file's packages are in the group named after it, the comments beside them
    assert result.exit_code == 0, result.stderr
    text = (project / "pyproject.toml").read_text()
    data = tomllib.loads(text)
    assert data["project"]["dependencies"] == ["alpha<2"]
    assert data["dependency-groups"] == {"dev": ["cowsay-lite"], "test": ["delta==1.0"]}
    assert '"alpha<2", # 2.0 breaks us' in text and '"cowsay-lite", # the demo CLI' in text
    lock = {p["name"]: p for p in tomllib.loads((project / "pylock.toml").read_text())["packages"]}
    assert set(lock) == {"alpha", "cowsay-lite", "delta"}
    assert (project / ".venv/bin/cowsay-lite").exists()  # dev is a default group: installed


def test_init_puts_an_included_dev_requirements_file_in_the_dev_group(
    tmp_path: Path, corral: Corral, indexed: str
) -> None:
    root = tmp_path / "legacy"
    root.mkdir()
    (root / "requirements.txt").write_text("alpha<2  # pinned\n-r requirements-dev.txt\n")
    (root / "requirements-dev.txt").write_text("beta\n")
    result = corral("init", "--python", str(pyenv_python("3.12")), cwd=root)
    assert result.exit_code == 0, result.stderr
    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert data["project"]["dependencies"] == ["alpha<2"]
    assert data["dependency-groups"] == {"dev": ["beta"]}
    assert '"alpha<2", # pinned' in (root / "pyproject.toml").read_text()


def _link_python(folder: Path, version: str, name: str = "python3") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).symlink_to(pyenv_python(version))
    return folder / name


def test_init_uses_the_interpreter_your_python3_runs_and_says_so(
    tmp_path: Path, corral: Corral, indexed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given `python3` on PATH is 3.11 while 3.13 is installed too (pyenv lists it)
    pyenv_python("3.13")
    mine = _link_python(tmp_path / "bin", "3.11")
    monkeypatch.setenv("PATH", f"{mine.parent}:/usr/bin:/bin")
    root = tmp_path / "app"
    # when
    result = corral("init", str(root), cwd=tmp_path)
    # then
    assert result.exit_code == 0, result.stderr
    assert tomllib.loads((root / "pyproject.toml").read_text())["project"]["requires-python"] == ">=3.11"
    assert (root / ".python-version").read_text().strip() == "3.11"
    assert "using Python 3.11." in result.stderr and "the `python3` on your PATH" in result.stderr


def test_init_resolves_a_pyenv_shim_as_pyenv_global_does(
    tmp_path: Path, corral: Corral, indexed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given pyenv's shims first on PATH and its global version file saying 3.11 (3.13 installed as well)
    fake = tmp_path / "pyenv"
    for version in ("3.11", "3.13"):
        real = pyenv_python(version)
        _link_python(fake / "versions" / real.parent.parent.name / "bin", version, real.name)
        (fake / "versions" / real.parent.parent.name / "bin" / "python3").symlink_to(real.name)
    shim = fake / "shims" / "python3"
    shim.parent.mkdir()
    shim.write_text("#!/bin/sh\nexit 99\n")  # never run: corral reads pyenv's choice instead
    shim.chmod(0o755)
    (fake / "version").write_text("3.11\n")
    monkeypatch.setenv("PYENV_ROOT", str(fake))
    monkeypatch.delenv("PYENV_VERSION", raising=False)
    monkeypatch.setenv("PATH", f"{fake / 'shims'}:/usr/bin:/bin")
    # when
    result = corral("init", str(tmp_path / "app"), cwd=tmp_path)
    # then
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "app" / ".python-version").read_text().strip() == "3.11"
    assert "pyenv global" in result.stderr and str(fake / "version") in result.stderr


def test_a_project_named_like_a_package_is_warned_at_init_and_cannot_depend_on_it(
    tmp_path: Path, corral: Corral, indexed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CORRAL_NAME_CHECK")  # the test index answers; nothing goes to PyPI
    root = tmp_path / "alpha"
    result = corral("init", "--python", str(pyenv_python("3.12")), str(root), cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "the project is named 'alpha', like the package 'alpha' on" in result.stderr
    before = (root / "pyproject.toml").read_bytes()
    refused = corral("add", "alpha", "beta", cwd=root)
    assert refused.exit_code == 2, refused.stderr
    assert "'alpha' names this project itself" in refused.stderr and "Traceback" not in refused.stderr
    assert (root / "pyproject.toml").read_bytes() == before and not (root / "pylock.toml").exists()
    other = corral("init", "--python", str(pyenv_python("3.12")), str(tmp_path / "not-on-the-index"), cwd=tmp_path)
    assert other.exit_code == 0 and "like the package" not in other.stderr


@pytest.fixture
def locked_project(tmp_path: Path, indexed: str) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.11"\ndependencies = ["alpha<2", "beta"]\n'
        '[project.optional-dependencies]\nfast = ["gamma[fast]"]\n'
        '[dependency-groups]\ndev = ["cowsay-lite"]\nwin = ["winonly; sys_platform == \'win32\'"]\n'
    )
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n")
    return root


def test_export_requirements_for_a_selection_with_hashes_installs_with_pip(
    locked_project: Path, corral: Corral, tmp_path: Path, clean_env: dict[str, str], indexed: str
) -> None:
    plain = corral("export", cwd=locked_project)
    assert plain.exit_code == 0, plain.stderr
    lines = [line for line in plain.stdout.splitlines() if not line.startswith("#")]
    assert lines == ["alpha==1.1", "beta==1.0", "cowsay-lite==1.0"]
    win = corral("export", "--group", "win", "--no-dev", "--extra", "fast", cwd=locked_project)
    body = [line for line in win.stdout.splitlines() if not line.startswith("#")]
    assert "winonly==1.0 ; sys_platform == 'win32'" in body and "gamma==1.0" in body and "cowsay-lite==1.0" not in body
    out = corral("export", "--hashes", "-o", "req.txt", cwd=locked_project)
    assert out.exit_code == 0 and out.stdout == ""
    text = (locked_project / "req.txt").read_text()
    assert "--hash=sha256:" in text
    venv = tmp_path / "pipenv"
    subprocess.run([str(pyenv_python("3.12")), "-m", "venv", str(venv)], check=True)
    done = subprocess.run(
        [
            str(venv / "bin/python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--index-url",
            indexed,
            "--require-hashes",
            "-r",
            str(locked_project / "req.txt"),
        ],
        env=clean_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    pylock = corral("export", "--format", "pylock.toml", cwd=locked_project)
    assert pylock.stdout == (locked_project / "pylock.toml").read_text()


def test_tree_without_marks_prints_no_legend(project: Path, corral: Corral) -> None:
    assert corral("lock", cwd=project).exit_code == 0
    tree = corral("tree", cwd=project)
    assert tree.exit_code == 0, tree.stderr
    assert tree.stdout.startswith("demo 0.1.0\n")  # the project's name and version, as `uv tree` roots it
    assert "(*)" not in tree.stdout + tree.stderr


def test_tree_and_outdated(locked_project: Path, corral: Corral) -> None:
    assert corral("lock", cwd=locked_project).exit_code == 0
    tree = corral("tree", cwd=locked_project)
    assert tree.exit_code == 0, tree.stderr
    assert "demo 0\n├── alpha 1.1  [alpha<2]\n└── beta 1.0\n    └── alpha 1.1 (*)" in tree.stdout
    assert "extra fast\n└── gamma 1.0  [gamma[fast]]\n    └── delta 1.2" in tree.stdout
    assert "(*) shown above" in tree.stdout + tree.stderr  # the legend of the mark on alpha
    data = json.loads(corral("tree", "--json", cwd=locked_project).stdout)["data"]
    assert [s["section"] for s in data] == ["project", "extra fast", "group dev", "group win"]
    result = corral("outdated", "--json", cwd=locked_project)
    assert result.exit_code == 0, result.stderr
    rows = {r["name"]: r for r in json.loads(result.stdout)["data"]}
    assert rows["alpha"] == {
        "name": "alpha",
        "locked": "1.1",
        "latest_allowed": None,
        "latest": "2.0",
        "allowed": False,
        "constraint": "<2",
    }
    assert "beta" not in rows
