"""`kernels.spec.stale_argv`: how a kernelspec's command line differs from the one corral (and ipykernel) writes."""

from __future__ import annotations

from corral.kernels.spec import stale_argv

PY = "/p/.venv/bin/python"
TAIL = ("-m", "ipykernel_launcher", "-f", "{connection_file}")


def test_as_written_is_not_stale() -> None:
    assert stale_argv((PY, "-Xfrozen_modules=off", *TAIL), PY, (3, 12)) is None
    assert stale_argv((PY, *TAIL), PY, (3, 10)) is None


def test_another_interpreter_is_named_with_the_envs() -> None:
    assert stale_argv(("/usr/bin/python3", *TAIL), PY, (3, 10)) == f"/usr/bin/python3, not this env's {PY}"


def test_only_the_debuggers_flag_missing_or_extra() -> None:
    assert stale_argv((PY, *TAIL), PY, (3, 12)) == (
        f"this env's {PY} without -Xfrozen_modules=off, which ipykernel's debugger needs on Python 3.11+"
    )
    assert stale_argv((PY, "-Xfrozen_modules=off", *TAIL), PY, (3, 10)) == (
        f"this env's {PY} with -Xfrozen_modules=off, an option of Python 3.11+ (this env runs 3.10)"
    )


def test_the_flag_elsewhere_shows_both_command_lines() -> None:
    argv = (PY, "-m", "ipykernel_launcher", "-Xfrozen_modules=off", "-f", "{connection_file}")
    assert stale_argv(argv, PY, (3, 12)) == (
        f"this env's {PY} as `{' '.join(argv)}`, not `{PY} -Xfrozen_modules=off {' '.join(TAIL)}`"
    )
