"""The lock stamp's inputs: what changes them (so `corral lock` resolves again) and what does not."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from corral.services.lock_stamp import stamp_inputs


def inputs(root: Path, environ: dict[str, str], *, local: tuple[str, ...] = ()) -> dict[str, Any]:
    return stamp_inputs(
        root=root,
        pyproject=root / "pyproject.toml",
        lock_path=root / "pylock.toml",
        env=root / ".venv",
        python=None,
        from_env=False,
        version=None,
        local_paths=local,
        user_config=root / "no-config.toml",
        environ=environ,
        trusted=None,
    )


def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n', encoding="utf-8")
    (root / "pylock.toml").write_text('lock-version = "1.0"\n', encoding="utf-8")
    return root


def test_a_new_interpreter_where_discovery_looks_changes_the_inputs(tmp_path: Path) -> None:
    root, folder = project(tmp_path), tmp_path / "bin"
    folder.mkdir()
    environ = {"PATH": str(folder), "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "pyenv")}
    before = inputs(root, environ)
    assert inputs(root, environ) == before
    os.utime(folder, ns=(1, 1))  # a folder's mtime moves when an interpreter is added, removed or replaced
    assert inputs(root, environ) != before


def test_lock_bytes_pyproject_bytes_and_settings_change_the_inputs(tmp_path: Path) -> None:
    root = project(tmp_path)
    environ = {"PATH": "", "HOME": str(tmp_path)}
    before = inputs(root, environ)
    (root / "pylock.toml").write_text('lock-version = "1.0" \n', encoding="utf-8")
    assert inputs(root, environ) != before
    before = inputs(root, environ)
    assert inputs(root, {**environ, "UV_EXCLUDE_NEWER": "2024-01-01"}) != before
    assert inputs(root, {**environ, "CORRAL_INDEX_URL": "https://example.invalid/simple"}) != before
    assert inputs(root, {**environ, "CORRAL_FAULT_LOG": str(tmp_path / "log")}) == before  # a crash-test hook


def test_a_local_tree_counts_by_its_metadata_not_its_folder(tmp_path: Path) -> None:
    root = project(tmp_path)
    environ = {"PATH": "", "HOME": str(tmp_path)}
    before = inputs(root, environ, local=(".",))
    (root / "notes.txt").write_text("a new file in the project\n", encoding="utf-8")
    assert inputs(root, environ, local=(".",)) == before
    (root / "setup.cfg").write_text("[metadata]\n", encoding="utf-8")
    assert inputs(root, environ, local=(".",)) != before
    before = inputs(root, environ, local=(".",))
    for name in ("pyproject.toml", "setup.cfg"):  # `touch`, an editor's save, a checkout of the same text
        os.utime(root / name, ns=(1, 1))
    assert inputs(root, environ, local=(".",)) == before


def test_an_env_python_copied_again_the_same_keeps_the_inputs(tmp_path: Path) -> None:
    # virtualenv copies python into a 2.7 env: `rm -rf .venv && corral sync` made a new file of the same bytes
    root = project(tmp_path)
    environ = {"PATH": "", "HOME": str(tmp_path)}
    exe = root / ".venv" / "bin" / "python"
    exe.parent.mkdir(parents=True)
    (root / ".venv" / "pyvenv.cfg").write_text("home = /base/bin\nversion_info = 2.7.18.final.0\n", encoding="utf-8")

    def with_python(from_env: bool) -> dict[str, Any]:
        return stamp_inputs(
            root=root,
            pyproject=root / "pyproject.toml",
            lock_path=root / "pylock.toml",
            env=root / ".venv",
            python=str(exe),
            from_env=from_env,
            version=None,
            local_paths=(),
            user_config=root / "no-config.toml",
            environ=environ,
            trusted=True if from_env else None,
        )

    exe.write_bytes(b"\x7fELF launcher")
    before, base_before = with_python(True), with_python(False)
    exe.unlink()
    exe.write_bytes(b"\x7fELF launcher")  # a new file (new inode, new times), the same program
    os.utime(exe, ns=(1, 1))
    assert with_python(True) == before
    assert with_python(False) != base_before  # a base interpreter is compared by its stat
    exe.write_bytes(b"\x7fELF another launcher")
    assert with_python(True) != before


def test_the_file_uv_config_file_names_is_an_input(tmp_path: Path) -> None:
    """uv reads UV_CONFIG_FILE's file for every resolution (even with UV_NO_CONFIG): its edit must resolve again."""
    root = project(tmp_path)
    named = tmp_path / "uv-settings.toml"
    named.write_text('resolution = "highest"\n', encoding="utf-8")
    environ = {"PATH": "", "HOME": str(tmp_path), "UV_CONFIG_FILE": str(named), "UV_NO_CONFIG": "1"}
    before = inputs(root, environ)
    assert inputs(root, environ) == before
    named.write_text('resolution = "lowest"\n', encoding="utf-8")
    assert inputs(root, environ) != before
