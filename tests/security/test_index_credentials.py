"""An index URL's credential (`https://__token__:SECRET@host/simple`) on no command line and in no file of corral's.

Every local user may read a process's command line (/proc/PID/cmdline); only its owner its environment. corral gives
uv and pip their index URLs through the environment (`infra.environ.indexes_in_environ`). Real corral processes,
real uv and pip, against local indexes that watch while they answer: at every request, the program asking is alive
and waiting, so the index reads every process's command line then, and every file in corral's home and in the
temporary folder, for the token. It also checks that the token reached it (the URL's credential was used).
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import shutil
import subprocess
import tarfile
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import corral_exe, pyenv_python
from corral.infra.environ import indexes_in_environ
from support.fixtures import isolated_environ
from support.index import IndexHandler, serve_index
from support.projects import demo_pyproject
from support.wheelhouse import require_wheelhouse

if TYPE_CHECKING:
    from collections.abc import Iterator

    from support.index import LocalIndex

pytestmark = pytest.mark.integration

SECRET = "corral-test-SECRET"  # noqa: S105 - the start of the made-up token each test looks for (its own: unique)


class Watch:
    """What the watching indexes saw: requests carrying the token, and every process or file holding it meanwhile."""

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders
        self.secret = f"{SECRET}-{uuid.uuid4().hex}"
        self.authorized: dict[str, int] = {}
        self.requests = 0
        self.leaks: set[str] = set()
        self._lock = threading.Lock()

    def look(self, index: str, authorization: str) -> None:
        """One request to `index` (its Authorization header): count it, then look for the token everywhere."""
        with self._lock:
            self.requests += 1
            if authorization.startswith("Basic "):
                with contextlib.suppress(ValueError):
                    if self.secret in base64.b64decode(authorization[6:]).decode("utf-8", "replace"):
                        self.authorized[index] = self.authorized.get(index, 0) + 1
            self.leaks.update(holders(self.secret, self.folders))

    def assert_kept(self, *more: Path) -> None:
        """No command line held the token while an index answered; no file of corral's (or in `more`) holds it now."""
        assert self.requests > 0
        assert self.leaks == set()
        assert holders(self.secret, [*self.folders, *more]) == []


def holders(secret: str, folders: list[Path]) -> list[str]:
    """Every process whose command line holds `secret`, and every file under `folders` that does."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                if secret.encode() in cmdline:
                    shown = cmdline.replace(b"\0", b" ").decode(errors="replace")
                    found.append(f"command line of {entry}: {shown}")
    for folder in folders:
        for path in folder.rglob("*") if folder.is_dir() else []:
            with contextlib.suppress(OSError):
                if path.is_file() and not path.is_symlink() and secret.encode() in path.read_bytes():
                    found.append(f"file {path}")
    return found


@contextlib.contextmanager
def watching(dirs: list[Path], watch: Watch, name: str) -> Iterator[str]:
    """A server of the files in `dirs` that tells `watch` of each request; its URL with the token."""
    index = serve_index(*dirs)

    class Watching(IndexHandler):
        def route(self, *, send_body: bool) -> None:
            watch.look(name, self.headers.get("Authorization", ""))
            super().route(send_body=send_body)

    index.server.RequestHandlerClass = Watching
    try:
        yield index.simple_url.replace("http://", f"http://__token__:{watch.secret}@", 1)
    finally:
        index.stop()


@pytest.fixture
def setup(tmp_path: Path, local_index: LocalIndex) -> Iterator[tuple[Watch, dict[str, str]]]:
    """The watch, and a corral environment whose settings name two watching indexes with the token (and a TMPDIR)."""
    home, tmp = Path(os.environ["CORRAL_HOME"]), tmp_path / "tmp"
    tmp.mkdir()
    watch = Watch([home, tmp])
    alpha = tmp_path / "alpha-only"  # the extra index: asked first by uv, it has alpha only (beta: the primary)
    alpha.mkdir()
    for entry in local_index.files.values():
        if entry.project == "alpha":
            shutil.copy(entry.path, alpha)
    sdists = tmp_path / "pep517-sdist"  # a build that needs its requirements from the index (pip: a child pip)
    sdists.mkdir()
    pep517_sdist(sdists)
    leaky_sdist(sdists)
    primary_index = watching([*local_index.dirs, sdists], watch, "primary")
    extra_index = watching([alpha], watch, "extra")
    with primary_index as primary, extra_index as extra:
        environ = isolated_environ() | {
            "CORRAL_HOME": str(home),
            "CORRAL_INDEX_URL": primary,
            "CORRAL_EXTRA_INDEX_URLS": extra,
            "TMPDIR": str(tmp),
            "UV_CACHE_DIR": str(tmp_path / "uv-cache"),  # empty: every uv goes to the indexes
        }
        yield watch, environ


def pep517_sdist(folder: Path) -> None:
    """`pep517dep` 1.0: an sdist whose PEP 517 build (setuptools, from the index) its installer must set up."""
    files = {
        "PKG-INFO": "Metadata-Version: 1.1\nName: pep517dep\nVersion: 1.0\n",
        "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n',
        "setup.py": 'from setuptools import setup\nsetup(name="pep517dep", version="1.0", py_modules=["pep517dep"])\n',
        "pep517dep.py": "",
    }
    with tarfile.open(folder / "pep517dep-1.0.tar.gz", "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"pep517dep-1.0/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def leaky_sdist(folder: Path) -> None:
    """`leaky` 1.0: an sdist whose build backend fails, printing uv's index variable (where the token now is)."""
    backend = (
        "import os, sys\n\n\ndef get_requires_for_build_wheel(config_settings=None):\n"
        '    sys.stderr.write("my index: %s\\n" % os.environ.get("UV_INDEX_URL"))\n'
        '    raise RuntimeError("cannot build from %s" % os.environ.get("UV_INDEX_URL"))\n\n\n'
        "build_wheel = build_sdist = get_requires_for_build_wheel\n"
    )
    files = {
        "PKG-INFO": "Metadata-Version: 1.1\nName: leaky\nVersion: 1.0\n",
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "leaky_backend"\nbackend-path = ["."]\n',
        "leaky_backend.py": backend,
    }
    with tarfile.open(folder / "leaky-1.0.tar.gz", "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"leaky-1.0/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def corral(cwd: Path, environ: dict[str, str], *args: str) -> str:
    done = subprocess.run([*corral_exe(), *args], cwd=cwd, env=environ, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    return done.stdout


def project(tmp_path: Path, text: str, python: str = "3.12") -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python(python)) + "\n", encoding="utf-8")
    return root


def test_lock_and_sync_give_uv_the_token_in_its_environment_only(
    tmp_path: Path, setup: tuple[Watch, dict[str, str]]
) -> None:
    # given: a seeded project (pip from the indexes) whose lock needs both indexes' pages (uv asks the extra first)
    watch, environ = setup
    root = project(tmp_path, demo_pyproject("beta", requires_python=">=3.11").replace("seed = false", "seed = true"))
    # when: locked, synced, and locked again from nothing (the lock head start's path)
    corral(root, environ, "lock")
    corral(root, environ, "sync")
    (root / "pylock.toml").unlink()
    corral(root, environ, "lock")
    # then: uv used the token (both indexes saw it); no command line, no file of corral's held it
    assert watch.authorized.get("primary", 0) > 0
    assert watch.authorized.get("extra", 0) > 0
    watch.assert_kept(root)


def test_a_dynamic_version_s_build_env_and_a_script_s_env_and_lock_too(
    tmp_path: Path, setup: tuple[Watch, dict[str, str]]
) -> None:
    # given: a project whose version only its backend (setuptools, from the index) states, and a PEP 723 script
    require_wheelhouse("setuptools-*.whl")
    watch, environ = setup
    text = (
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "dyn"\ndynamic = ["version"]\nrequires-python = ">=3.11"\ndependencies = ["alpha"]\n\n'
        '[tool.setuptools]\npy-modules = ["dyn"]\n\n[tool.setuptools.dynamic]\nversion = {attr = "dyn.__version__"}\n'
    )
    root = project(tmp_path, text)
    (root / "dyn.py").write_text('__version__ = "1.2.3"\n', encoding="utf-8")
    script = root / "tool.py"
    block = '# /// script\n# requires-python = ">=3.11"\n# dependencies = ["alpha"]\n# ///\n'
    script.write_text(block + "import alpha\nprint(alpha.__version__)\n", encoding="utf-8")
    # when: the project locked (the backend asked in a throwaway build env), the script run and locked
    corral(root, environ, "lock")
    assert corral(root, environ, "run", str(script)).strip()
    corral(root, environ, "lock", "--script", str(script))
    # then: the token was used; no command line, no file of corral's held it
    assert watch.authorized.get("primary", 0) > 0
    watch.assert_kept(root)


def test_a_python_27_lock_gives_pip_and_pip_tools_the_token_in_their_environment_only(
    tmp_path: Path, setup: tuple[Watch, dict[str, str]], pythons: dict[str, Path]
) -> None:
    # given: a 2.7 project, and no toolchain yet (virtualenv and pip-tools are installed from the indexes)
    if "2.7" not in pythons:
        pytest.skip("needs pyenv's Python 2.7")
    wheels = ("virtualenv-20.21.1-*.whl", "pip_tools-5.5.0-*.whl", "click-7.1.2-*.whl", "pip-20.3.4-*.whl")
    require_wheelhouse(*wheels, "setuptools-44.1.1-*.whl", "wheel-0.37.1-*.whl")
    watch, environ = setup
    root = project(tmp_path, demo_pyproject("alpha", "pep517dep", requires_python=">=2.7"), python="2.7")
    # when
    corral(root, environ, "lock")
    # then: pip-tools' pip (and the pip it starts for pep517dep's build) asked with the token; no command line, no
    # file (its request included) held it
    assert watch.authorized.get("primary", 0) > 0
    watch.assert_kept(root)


def test_an_error_echoing_a_build_backend_shows_no_token(tmp_path: Path, setup: tuple[Watch, dict[str, str]]) -> None:
    # given: a script needing `leaky`, whose build backend fails printing the index URL uv was given
    watch, environ = setup
    root = project(tmp_path, demo_pyproject())
    script = root / "tool.py"
    script.write_text('# /// script\n# dependencies = ["leaky"]\n# ///\nprint("ran")\n', encoding="utf-8")
    # when
    done = subprocess.run(
        [*corral_exe(), "run", str(script)], cwd=root, env=environ, capture_output=True, text=True, check=False
    )
    # then: the backend's words are shown (the error names it), the token is not
    assert done.returncode != 0
    assert "cannot build from" in done.stderr  # uv may wrap the line before the URL
    assert "http://****@127.0.0.1" in done.stderr
    assert SECRET not in done.stdout + done.stderr
    watch.assert_kept(root)


@pytest.mark.parametrize(
    ("argv", "tool", "expected"),
    [
        (
            ["uv", "lock", "--index-url", "A", "--extra-index-url", "B", "--extra-index-url", "C", "--offline"],
            "uv",
            {"UV_INDEX_URL": "A", "UV_EXTRA_INDEX_URL": "B C"},
        ),
        (
            ["uv", "pip", "install", "--default-index", "A", "--index", "B", "pip"],
            "uv",
            {"UV_DEFAULT_INDEX": "A", "UV_INDEX": "B"},
        ),
        (
            ["py", "-m", "pip", "install", "--index-url", "A", "--extra-index-url", "B", "-r", "r.txt"],
            "pip",
            {"PIP_INDEX_URL": "A", "PIP_EXTRA_INDEX_URL": "X B"},
        ),
    ],
)
def test_index_flags_become_the_variables_that_mean_the_same(
    argv: list[str], tool: str, expected: dict[str, str]
) -> None:
    """Unit: uv's variable replaces the caller's (clap reads it only without the flag); pip's extras add to it."""
    user = {"UV_INDEX_URL": "X", "UV_EXTRA_INDEX_URL": "X", "PIP_EXTRA_INDEX_URL": "X", "HOME": "/h"}
    rest, env = indexes_in_environ(argv, user, tool=tool)
    assert not {"A", "B", "C"} & set(rest)
    assert all(not a.startswith("--") or "index" not in a for a in rest)
    assert {k: env[k] for k in expected} == expected
    assert env["HOME"] == "/h"


def test_redacted_hides_every_url_s_user_part_but_ssh_s_git() -> None:
    from corral.core.urls import redacted

    text = "at https://__token__:s3cret@host/simple and http://TOKEN@h:1/x, git+ssh://git@github.com/a, a@b.c, x @ https://h/a"
    assert redacted(text) == (
        "at https://****@host/simple and http://****@h:1/x, git+ssh://git@github.com/a, a@b.c, x @ https://h/a"
    )


@pytest.mark.parametrize("as_json", [False, True])
def test_corral_config_shows_an_index_url_without_its_credentials(tmp_path: Path, as_json: bool) -> None:
    """`corral config` prints where each setting came from; a token in `index-url` is the user's secret, not output."""
    secret = uuid.uuid4().hex
    environ = {
        **isolated_environ(),
        "CORRAL_INDEX_URL": f"https://__token__:{secret}@example.invalid/simple",
        "CORRAL_EXTRA_INDEX_URLS": f"https://user:{secret}@other.invalid/simple",
    }
    args = [*corral_exe(), "config", *(["--json"] if as_json else [])]
    done = subprocess.run(args, cwd=tmp_path, env=environ, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert secret not in done.stdout + done.stderr
    assert "https://****@example.invalid/simple" in done.stdout
    assert "https://****@other.invalid/simple" in done.stdout
