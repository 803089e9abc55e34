"""An index that needs credentials, named in corral's own `index-url` setting, serves the sync as it serves the lock.

The lock keeps its index URL without credentials (they never enter a lock); the sync's engine finds the spelling
with them where the user gave it. It looked only in uv's and pip's variables: with `CORRAL_INDEX_URL` (or the
user config file's `index-url`) holding them, `corral lock` worked and `corral sync` failed with 401 (H7's attack).
Real uv, a real local index that answers 401 without an Authorization header.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import corral_exe, pyenv_python
from support.fixtures import isolated_environ
from support.index import IndexHandler, serve_index

pytestmark = pytest.mark.integration


class _NeedsCredentials(IndexHandler):
    """A private index: nothing without an Authorization header."""

    def route(self, *, send_body: bool) -> None:
        if not self.headers.get("Authorization"):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="private"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().route(send_body=send_body)


@pytest.mark.parametrize("where", ["variable", "user config file"])
def test_credentials_in_corral_s_index_setting_reach_the_sync(
    tmp_path: Path, built_packages: dict[str, list[Path]], where: str
) -> None:
    package_dir = next(iter(built_packages.values()))[0].parent
    with serve_index(package_dir) as index:
        index.server.RequestHandlerClass = _NeedsCredentials
        url = index.simple_url.replace("http://", "http://user:secret@")
        environ = {
            **isolated_environ(),
            "UV_CACHE_DIR": str(tmp_path / "uv-cache"),  # nothing served from a cache: every file asks the index
            "CORRAL_HOME": str(tmp_path / "home"),
        }
        if where == "variable":
            environ["CORRAL_INDEX_URL"] = url
        else:
            (tmp_path / "home" / "config").mkdir(parents=True)
            (tmp_path / "home" / "config" / "config.toml").write_text(f'index-url = "{url}"\n', encoding="utf-8")
        root = tmp_path / "proj"
        root.mkdir()
        (root / "pyproject.toml").write_text(
            '[project]\nname = "demo"\nversion = "0.1"\nrequires-python = ">=3.12"\ndependencies = ["beta"]\n\n'
            "[tool.corral]\nseed = false\n",
            encoding="utf-8",
        )
        (root / ".python-version").write_text(f"{pyenv_python('3.12')}\n", encoding="utf-8")
        for command in (["lock"], ["sync"]):
            done = subprocess.run(
                [*corral_exe(), *command],
                cwd=root,
                env=environ,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
        assert "secret" not in (root / "pylock.toml").read_text(encoding="utf-8")
        assert any((root / ".venv").glob("lib/python3.12/site-packages/beta*"))
