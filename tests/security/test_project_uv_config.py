"""A repository's uv settings (`uv.toml`, `[tool.uv.pip]` in pyproject.toml) never steer corral's installs.

uv reads the uv.toml or pyproject.toml of its working folder and of every folder above it. corral runs uv from
where the user stands, in the project: a cloned repository's `[pip] target = "..."` sent the env's packages to any
folder the user may write (the user's site-packages, a folder on PATH), left the env empty and stamped it
("nothing to do" after). The suite sets UV_NO_CONFIG for every test (`conftest._isolated_environment`), which hid
this; here it is unset, as on a user's machine. The real CLI started in the project's folder, real uv, the
local index.
"""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from conftest import pyenv_python
from support.projects import demo_pyproject

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("where", ["uv.toml", "pyproject.toml"])
def test_a_projects_uv_target_does_not_take_the_envs_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: object, where: str
) -> None:
    monkeypatch.delenv("UV_NO_CONFIG", raising=False)  # a user's machine: uv looks for settings files
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    root = tmp_path / "proj"
    root.mkdir()
    elsewhere = tmp_path / "elsewhere"
    text = demo_pyproject("alpha")
    if where == "uv.toml":
        (root / "uv.toml").write_text(f'[pip]\ntarget = "{elsewhere}"\n', encoding="utf-8")
    else:
        text += f'\n[tool.uv.pip]\ntarget = "{elsewhere}"\n'
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")

    done = subprocess.run(  # started where the user stands: in the project
        [sys.executable, "-m", "corral", "sync"], cwd=root, capture_output=True, text=True, check=False, timeout=300
    )

    assert done.returncode == 0, done.stderr
    assert not elsewhere.exists(), "nothing went where the repository said"
    site = root / ".venv" / "lib" / "python3.12" / "site-packages"
    assert any(p.name.startswith("alpha") for p in site.iterdir()), "the env holds the lock's package"
