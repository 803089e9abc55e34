"""infra.environ: which of the caller's variables each kind of child process keeps."""

from __future__ import annotations

import os
from pathlib import Path

from corral.infra.environ import (
    engine_environ,
    env_environ,
    isolated_environ,
    pip_environ,
    piptools_environ,
    virtualenv_environ,
)

_USER = {
    "PATH": "/usr/bin",
    "HOME": "/home/u",
    "VIRTUAL_ENV": "/other",
    "CONDA_PREFIX": "/conda",
    "PYTHONPATH": "/lib",
    "PYTHONHOME": "/home",
    "__PYVENV_LAUNCHER__": "x",
    "UV_PYTHON": "3.8",
    "UV_PROJECT_ENVIRONMENT": "/env",
    "UV_INDEX_URL": "https://idx/simple",
    "PIP_INDEX_URL": "https://p/simple",
    "PIP_CERT": "/ca.pem",
    "VIRTUALENV_NO_SEED": "1",
    "UV_PYTHON_DOWNLOADS": "automatic",
}


def test_isolated_environ_drops_what_redirects_python_pip_or_uv() -> None:
    assert isolated_environ(_USER, EXTRA="1") == {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "VIRTUALENV_NO_SEED": "1",
        "EXTRA": "1",
    }
    assert isolated_environ() == isolated_environ(os.environ)


def test_engine_environ_keeps_index_settings_and_never_downloads_a_python() -> None:
    env = engine_environ(_USER)
    assert env["UV_INDEX_URL"] == "https://idx/simple"
    assert env["PIP_INDEX_URL"] == "https://p/simple"
    assert env["UV_PYTHON_DOWNLOADS"] == "never"
    for gone in (
        "VIRTUAL_ENV",
        "CONDA_PREFIX",
        "PYTHONPATH",
        "PYTHONHOME",
        "__PYVENV_LAUNCHER__",
        "UV_PYTHON",
        "UV_PROJECT_ENVIRONMENT",
    ):
        assert gone not in env
    assert "UV_PYTHON_DOWNLOADS" in _USER  # the caller's mapping is not changed
    assert _USER["UV_PYTHON_DOWNLOADS"] == "automatic"


def test_the_legacy_tools_see_no_user_config_and_keep_only_the_certificate() -> None:
    quiet = {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    assert pip_environ(_USER) == {**isolated_environ(_USER), **quiet}
    assert piptools_environ(_USER) == {
        **isolated_environ(_USER),
        **quiet,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "PIP_CERT": "/ca.pem",
    }
    assert "PIP_CERT" not in piptools_environ({"PATH": "/bin"})
    venv = virtualenv_environ(_USER)
    assert venv == {"PATH": "/usr/bin", "HOME": "/home/u", **quiet, "VIRTUALENV_CONFIG_FILE": os.devnull}


def test_env_environ_puts_the_env_first_once() -> None:
    env = Path("/p/.venv")
    bin_dir = str(env / ("Scripts" if os.name == "nt" else "bin"))
    got = env_environ(
        env, {"PATH": os.pathsep.join([bin_dir, "/usr/bin"]), "PYTHONHOME": "/x"}, extra_bins=[Path("/tools")]
    )
    assert got["PATH"] == os.pathsep.join([bin_dir, "/tools", "/usr/bin"])
    assert got["VIRTUAL_ENV"] == str(env)
    assert "PYTHONHOME" not in got


def test_a_project_lock_gets_uvs_resolution_settings_but_not_its_workflow_switches() -> None:
    from corral.infra.environ import RESOLVER_IGNORED, resolver_environ

    base = {"UV_RESOLUTION": "lowest", "UV_INDEX": "https://example.invalid/simple", "UV_NO_BINARY": "1"}
    base |= dict.fromkeys(RESOLVER_IGNORED, "1")
    env = resolver_environ(base)
    assert {k: env[k] for k in ("UV_RESOLUTION", "UV_INDEX", "UV_NO_BINARY")} == {
        "UV_RESOLUTION": "lowest",
        "UV_INDEX": "https://example.invalid/simple",
        "UV_NO_BINARY": "1",
    }
    assert not {k for k in RESOLVER_IGNORED if env.get(k) == "1"}, "none of the user's values survives"
    assert env["UV_PYTHON_DOWNLOADS"] == "never"
    assert env["UV_WORKING_DIR"] == os.sep  # corral's own, as engine_environ sets it


def test_uvs_relative_path_settings_are_anchored_where_the_user_stands(tmp_path: Path) -> None:
    """uv starts in the root (UV_WORKING_DIR): a relative UV_CACHE_DIR made /relcache, a relative UV_CONFIG_FILE
    was not found; each relative path is made absolute against corral's working folder, URLs are left alone."""
    before = os.getcwd()
    os.chdir(tmp_path)
    try:
        env = engine_environ(
            {
                "UV_CACHE_DIR": "relcache",
                "UV_CONFIG_FILE": "conf/uv.toml",
                "UV_INDEX_URL": "https://idx/simple",
                "UV_EXTRA_INDEX_URL": "https://a/simple idx/simple",
                "UV_FIND_LINKS": "wheels,file:///w,/abs",
                "UV_INDEX": "mine=local/simple",
                "SSL_CERT_FILE": "~/ca.pem",
            }
        )
    finally:
        os.chdir(before)
    here = str(tmp_path)
    assert env["UV_WORKING_DIR"] == os.sep
    assert env["UV_CACHE_DIR"] == os.path.join(here, "relcache")
    assert env["UV_CONFIG_FILE"] == os.path.join(here, "conf/uv.toml")
    assert env["UV_INDEX_URL"] == "https://idx/simple"
    assert env["UV_EXTRA_INDEX_URL"] == f"https://a/simple {os.path.join(here, 'idx/simple')}"
    assert env["UV_FIND_LINKS"] == f"{os.path.join(here, 'wheels')},file:///w,/abs"
    assert env["UV_INDEX"] == f"mine={os.path.join(here, 'local/simple')}"
    assert env["SSL_CERT_FILE"] == "~/ca.pem"
