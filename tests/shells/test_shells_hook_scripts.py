"""The cd-hook of ksh (a cd wrapper), tcsh (cwdcmd) and xonsh (on_chdir) fires in scripts too; nushell's
helpers from `corral hook nu` (its PWD hook runs only at an interactive prompt)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from corral.shells.bash import posix_quote
from corral.shells.csh import csh_quote
from corral.shells.nushell import nu_quote
from corral.shells.xonsh import xonsh_quote
from support import shellkit
from support.shellkit import make_env, make_environ, require

# fixtures live in shellkit (a conftest.py here would shadow tests/conftest.py)
base_python_dir = shellkit.base_python_dir
corral_bin = shellkit.corral_bin

pytestmark = [pytest.mark.shells, pytest.mark.integration]


def _scripts(project: Path, outside: Path) -> dict[str, tuple[list[str], str]]:
    p, o = str(project), str(outside)
    return {
        "ksh": (
            [],
            "\n".join(
                [
                    'eval "$(corral hook ksh)"',
                    f"cd {posix_quote(p)}",
                    'echo "VE=[$VIRTUAL_ENV]"',
                    f"cd {posix_quote(o)}",
                    'echo "VE=[${VIRTUAL_ENV-}]"',
                ]
            ),
        ),
        "tcsh": (
            ["-f"],
            "\n".join(
                [
                    'eval "`corral hook tcsh`"',
                    f"cd {csh_quote(p)}",
                    'echo "VE=[$VIRTUAL_ENV:q]"',
                    f"cd {csh_quote(o)}",
                    "if ( ! $?VIRTUAL_ENV ) echo 'VE=[]'",
                ]
            ),
        ),
        "xonsh": (
            ["--no-rc"],
            "\n".join(
                [
                    "execx($(corral hook xonsh))",
                    f"cd {xonsh_quote(p)}",
                    "print('VE=[' + $VIRTUAL_ENV + ']')",
                    f"cd {xonsh_quote(o)}",
                    "print('VE=[' + ${...}.get('VIRTUAL_ENV', '') + ']')",
                ]
            ),
        ),
    }


@pytest.mark.parametrize("shell", ["ksh", "tcsh", "xonsh"])
def test_hook_activates_on_cd_and_deactivates_on_leaving(
    shell: str, tmp_path: Path, corral_bin: Path, base_python_dir: Path
) -> None:
    exe = require(shell)
    environ = make_environ(tmp_path, corral_bin, base_python_dir)
    project = tmp_path / "my proj"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "m"\nversion = "0"\n', encoding="utf-8")
    make_env(project / ".venv", environ)
    outside = tmp_path / "outside"
    outside.mkdir()
    args, text = _scripts(project, outside)[shell]
    script = tmp_path / "hook-script"
    script.write_text(text + "\n", encoding="utf-8")
    done = subprocess.run(
        [exe, *args, str(script)], env=environ, cwd=outside, capture_output=True, text=True, check=False, timeout=60
    )
    found = [line for line in done.stdout.splitlines() if line.startswith("VE=[")]
    assert found == [f"VE=[{project / '.venv'}]", "VE=[]"], done.stdout + done.stderr


def test_nushell_helpers_activate_and_deactivate(
    tmp_path: Path,
    corral_bin: Path,
    base_python_dir: Path,
) -> None:
    exe = shutil.which("nu")
    if exe is None:
        pytest.skip("nushell is optional (npm install -g nushell)")
    environ = make_environ(tmp_path, corral_bin, base_python_dir)
    env = make_env(tmp_path / "n env", environ)
    snippet = subprocess.run(
        ["corral", "hook", "nu"], env=environ, capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout
    (tmp_path / "corral.nu").write_text(snippet, encoding="utf-8")
    script = tmp_path / "s.nu"
    script.write_text(
        "\n".join(
            [
                f"source {nu_quote(str(tmp_path / 'corral.nu'))}",
                f"corral-activate --env {nu_quote(str(env))}",
                'print $"VE=[($env.VIRTUAL_ENV)]"',
                '^python -c "import sys; print(sys.prefix)"',
                "corral-deactivate",
                'print $"VE=[($env.VIRTUAL_ENV? | default "")]"',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [exe, "--no-config-file", str(script)],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.stdout.splitlines() == [f"VE=[{env}]", str(env), "VE=[]"], done.stderr
