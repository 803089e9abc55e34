"""An env's legacy reason names its Python's release: "Python 2.7.18", not virtualenv's "2.7.18.final.0".

Found by a real-user tryout: `corral envs list` said "legacy: Python 2.7.18.final.0 is past end of life" for an env
made by `corral venv --python 2.7` (virtualenv's pyvenv.cfg writes `version_info = 2.7.18.final.0`).
"""

from __future__ import annotations

import os
from pathlib import Path

from conftest import pyenv_python
from corral.inventory.health import env_health

# pyvenv.cfg as corral's virtualenv 20.21.1 toolchain wrote it for `corral venv --python 2.7` (home filled in)
VIRTUALENV_27_CFG = """\
home = {home}
implementation = CPython
version_info = 2.7.18.final.0
virtualenv = 20.21.1
include-system-site-packages = false
base-prefix = {prefix}
base-exec-prefix = {prefix}
base-executable = {python}
"""


def test_a_legacy_env_is_named_by_its_release_not_virtualenvs_version_info(tmp_path: Path) -> None:
    python = pyenv_python("2.7")
    env = tmp_path / "legacy"
    (env / "bin").mkdir(parents=True)
    os.symlink(python, env / "bin" / "python")
    cfg = VIRTUALENV_27_CFG.format(home=python.parent, prefix=python.parent.parent, python=python)
    (env / "pyvenv.cfg").write_text(cfg, encoding="utf-8")
    health = env_health(env)
    assert (health.word, health.reason) == ("legacy", "Python 2.7.18 is past end of life")
