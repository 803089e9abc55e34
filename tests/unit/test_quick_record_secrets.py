"""An index URL's credentials in the environment never reach corral's quick and rebuild records.

`CORRAL_INDEX_URL=https://user:token@host/simple` (or UV_INDEX_URL, PIP_INDEX_URL...) is an input of the no-op
verdict, so `cli.quick.observe` notes it; the quick record and the rebuild record (`cli.headstart`) are files in
corral's cache, and the rebuild record's docstring promised no credentials in them. A value with an `@` is noted by
its SHA-256: the same value still matches, another one does not, and the token is in no file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.cli import quick
from corral.cli.headstart import inputs, rebuild_record_path
from corral.cli.quick import corral_dirs, observe, record_path, remember

_TOKEN = "s3cret-t0ken"  # noqa: S105 - a made-up token the records must not hold


def _project(tmp_path: Path) -> tuple[str, str]:
    root = tmp_path / "proj"
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    (root / ".venv" / "pyvenv.cfg").write_text("home = /x\n", encoding="utf-8")
    return str(root), str(root / ".venv")


@pytest.mark.parametrize("name", ["CORRAL_INDEX_URL", "UV_INDEX_URL", "PIP_EXTRA_INDEX_URL"])
def test_a_credential_is_recorded_by_its_digest_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    project, env = _project(tmp_path)
    environ = {"CORRAL_HOME": str(tmp_path / "home"), name: f"https://user:{_TOKEN}@index.example/simple"}
    dirs = corral_dirs(environ)
    assert dirs is not None
    monkeypatch.setattr(quick, "_now_ns", lambda: 1 << 62)  # as if every input had settled long ago
    before, _ = observe(project, env, dirs, environ)
    assert not any(_TOKEN in line for line in before)
    assert any(line.startswith(f"environ {name}=sha256:") for line in before)
    assert not any(_TOKEN in line for line in inputs(project, dirs, environ))
    assert _TOKEN not in rebuild_record_path(dirs[1], project, inputs(project, dirs, environ))

    assert remember(project, env, dirs, environ, before=before, observed_ns=1 << 62, default_selection=True)

    assert _TOKEN not in Path(record_path(dirs[1], project)).read_text(encoding="utf-8")
    assert quick.lookup(project, environ) == (env, True), "the same credentials: the same no-op"
    other = {**environ, name: "https://user:another@index.example/simple"}
    assert quick.lookup(project, other) is None, "other credentials: the full path judges"
    plain = {k: v for k, v in environ.items() if k != name}
    assert quick.lookup(project, plain) is None


def test_a_value_without_credentials_is_recorded_as_it_is(tmp_path: Path) -> None:
    project, env = _project(tmp_path)
    environ = {"CORRAL_HOME": str(tmp_path / "home"), "UV_INDEX_URL": "https://index.example/simple"}
    dirs = corral_dirs(environ)
    assert dirs is not None
    lines, _ = observe(project, env, dirs, environ)
    assert "environ UV_INDEX_URL=https://index.example/simple" in lines
