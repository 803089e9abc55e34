"""Which versions of which tool serve which legacy Python (2.7, 3.6, 3.7), and why.

Every row was checked on this project's reference machine (pyenv CPython 2.7.18, 3.6.15, 3.7.16;
uv 0.13.9; hosts 3.11.7, 3.12.1, 3.13.0): the "last" versions are what
`pip download --python-version X.Y --only-binary=:all: NAME` picks, and the next release's
`Requires-Python` metadata excludes X.Y (quoted in each reason).
"""

from __future__ import annotations

from dataclasses import dataclass

from corral.core.interpreter import LEGACY_EOL
from corral.core.pyversion import python_minor

__all__ = [
    "LEGACY",
    "PIP_TOOLS_REQUIREMENTS",
    "PIP_TOOLS_VERSION",
    "VIRTUALENV_REQUIREMENTS",
    "VIRTUALENV_VERSION",
    "LegacyPython",
    "legacy_notice",
    "legacy_python",
]

# The last virtualenv that creates 2.7 and 3.6 envs; it needs Python >= 3.7 to run (hosts 3.11-3.13 verified).
# virtualenv 20.22.0 dropped creating Python < 3.7 envs (changelog #2548/#2552; verified: it cannot even query 2.7
# or 3.6 interpreters). 20.21.1 embeds pip 20.3.4 / 21.3.1 / 23.1, setuptools 44.1.1 / 59.6.0 / 67.6.1 and wheel
# 0.37.1 / 0.40.0, so it seeds offline (--no-download).
VIRTUALENV_VERSION = "20.21.1"
# What the toolchain env installs; the bounds are virtualenv 20.21.1's own (platformdirs 4 broke it).
VIRTUALENV_REQUIREMENTS: tuple[str, ...] = (
    f"virtualenv=={VIRTUALENV_VERSION}",
    "platformdirs>=2.4,<4",
    "distlib>=0.3.6,<1",
    "filelock>=3.4.1,<4",
)

# The 2.7 locker (corral.resolvers.legacy) runs pip-tools in a toolchain env on the project's own 2.7 interpreter.
# 5.5.0 is the last pip-tools for Python 2 (6.0.0 requires >=3.6) and supports the pip 20.3.4 virtualenv seeds
# there; click 7.1.2 is the last click for Python 2 (8.0.0 requires >=3.6). Hash-pinned: installed with
# `--require-hashes --no-deps --only-binary :all:`, so an index can serve nothing else under these names.
PIP_TOOLS_VERSION = "5.5.0"
PIP_TOOLS_REQUIREMENTS: tuple[str, ...] = (
    f"pip-tools=={PIP_TOOLS_VERSION} --hash=sha256:10841c1e56c234d610d0466447685b9ea4ee4a2c274f858c0ef3c33d9bd0d985",
    "click==7.1.2 --hash=sha256:dacca89f4bfadd5de3d7489b7c8a566eee0d3676333fbb50030263894c38c0dc",
)


@dataclass(frozen=True, kw_only=True, slots=True)
class LegacyPython:
    """One legacy Python line and the newest tools that still serve it."""

    minor: tuple[int, int]
    eol: str
    pip: str
    pip_reason: str
    setuptools: str
    setuptools_reason: str
    wheel: str
    wheel_reason: str
    uv_creates: bool
    uv_reason: str
    virtualenv_seed: tuple[str, str, str]  # pip, setuptools, wheel embedded in virtualenv 20.21.1 for it

    @property
    def version(self) -> str:
        """ "2.7" style."""
        return f"{self.minor[0]}.{self.minor[1]}"

    @property
    def default_creator(self) -> str:
        """The creator corral picks by itself for this Python."""
        return "uv" if self.uv_creates else "virtualenv"


LEGACY: dict[tuple[int, int], LegacyPython] = {
    (2, 7): LegacyPython(
        minor=(2, 7),
        eol=LEGACY_EOL[(2, 7)],
        pip="20.3.4",
        pip_reason="pip 21.0 dropped Python 2 (Requires-Python >=3.6)",
        setuptools="44.1.1",
        setuptools_reason="setuptools 45.0.0 requires Python >=3.5",
        wheel="0.37.1",
        wheel_reason="wheel 0.38.0 requires Python >=3.7",
        uv_creates=False,
        uv_reason="uv refuses 2.7: it probes interpreters with -I, which Python 2 lacks",
        virtualenv_seed=("20.3.4", "44.1.1", "0.37.1"),
    ),
    (3, 6): LegacyPython(
        minor=(3, 6),
        eol=LEGACY_EOL[(3, 6)],
        pip="21.3.1",
        pip_reason="pip 22.0 requires Python >=3.7",
        setuptools="59.6.0",
        setuptools_reason="setuptools 59.7.0 requires Python >=3.7",
        wheel="0.37.1",
        wheel_reason="wheel 0.38.0 requires Python >=3.7",
        uv_creates=True,
        uv_reason="uv 0.13 creates 3.6 envs and installs into them",
        virtualenv_seed=("21.3.1", "59.6.0", "0.37.1"),
    ),
    (3, 7): LegacyPython(
        minor=(3, 7),
        eol=LEGACY_EOL[(3, 7)],
        pip="24.0",
        pip_reason="pip 24.1 requires Python >=3.8",
        setuptools="68.0.0",
        setuptools_reason="setuptools 68.1.0 requires Python >=3.8",
        wheel="0.42.0",
        wheel_reason="wheel 0.43.0 requires Python >=3.8",
        uv_creates=True,
        uv_reason="uv 0.13 creates 3.7 envs and installs into them",
        # virtualenv 20.21.1 predates pip 24.0; its newest embedded seed serves 3.7.
        virtualenv_seed=("23.1", "67.6.1", "0.40.0"),
    ),
}


def legacy_python(version: str | tuple[int, ...]) -> LegacyPython | None:
    """The table row for a legacy Python, or None for a supported one."""
    minor = python_minor(version)
    return LEGACY.get(minor) if minor else None


def legacy_notice(version: str | tuple[int, ...]) -> str | None:
    """One short line for an env on a legacy Python, or None for a supported one."""
    row = legacy_python(version)
    if row is None:
        return None
    advice = "port to Python 3" if row.minor[0] == 2 else "move to a supported Python"  # noqa: PLR2004
    return f"Python {row.version} reached end of life on {row.eol}: this env is a legacy zone; {advice}"
