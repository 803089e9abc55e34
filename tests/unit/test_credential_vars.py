"""Variables that hold a credential are no input of any key, and the lock stamp is the user's own private file.

uv's named-index credentials (`UV_INDEX_<NAME>_USERNAME` / `_PASSWORD`) and `uv publish`'s have no `@`: the
`secretless` rule would keep them in plain text (tests/security/test_r10_env_credentials.py runs real corral).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from corral.cli import doctor_quick, quick
from corral.infra.credential_vars import is_credential
from corral.infra.paths import CorralPaths
from corral.services.lock_stamp import stamp_inputs, stamp_path, write_lock_stamp
from corral.services.sync.stamp_state import environ_key

SECRET = "hunter2-not-a-url"  # noqa: S105 - a marker, not a password
CREDENTIALS = {
    "UV_INDEX_PRIVATE_USERNAME": "deploy",
    "UV_INDEX_PRIVATE_PASSWORD": SECRET,
    "UV_PUBLISH_TOKEN": SECRET,
    "UV_PUBLISH_URL": "https://upload.example.invalid/legacy/",
    "CORRAL_INDEX_TOKEN": SECRET,
    "JUPYTER_TOKEN": SECRET,
}


@pytest.mark.parametrize("name", sorted(CREDENTIALS))
def test_a_credential_variable_is_one(name: str) -> None:
    assert is_credential(name)


@pytest.mark.parametrize(
    "name", ["UV_INDEX_URL", "UV_INDEX", "UV_KEYRING_PROVIDER", "CORRAL_INDEX_URL", "PIP_INDEX_URL", "JUPYTER_PATH"]
)
def test_a_setting_is_no_credential(name: str) -> None:
    assert not is_credential(name)


def test_no_key_holds_a_credential(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n', encoding="utf-8")
    base = {"PATH": "", "HOME": str(tmp_path), "CORRAL_INDEX_URL": "https://example.invalid/simple"}
    environ = base | CREDENTIALS

    def lock_inputs(given: dict[str, str]) -> object:
        return stamp_inputs(
            root=root,
            pyproject=root / "pyproject.toml",
            lock_path=root / "pylock.toml",
            env=root / ".venv",
            python=None,
            from_env=False,
            version=None,
            local_paths=(),
            user_config=root / "no-config.toml",
            environ=given,
            trusted=None,
        )

    assert lock_inputs(environ) == lock_inputs(base)
    assert environ_key(environ) == environ_key(base)
    dirs = (str(tmp_path / "data"), str(tmp_path / "cache"), str(tmp_path / "config"))
    lines, _ = quick.observe(str(root), str(root / ".venv"), dirs, environ)
    assert lines == quick.observe(str(root), str(root / ".venv"), dirs, base)[0]
    assert doctor_quick.environ_lines(environ) == doctor_quick.environ_lines(base)
    assert not any(SECRET in line for line in lines)


def test_the_lock_stamp_is_the_users_own_private_file(tmp_path: Path) -> None:
    paths = CorralPaths(data=tmp_path / "data", cache=tmp_path / "cache", config=tmp_path / "config")
    root = tmp_path / "proj"
    root.mkdir()
    old = os.umask(0o022)
    try:
        write_lock_stamp(
            paths,
            root,
            inputs={"root": str(root)},
            python=None,
            from_env=False,
            version_files=None,
            local_paths=(),
            packages=0,
            view=None,
        )
    finally:
        os.umask(old)
    path = stamp_path(paths, root)
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left
