"""The small demo project many tests start from (one place, so a change to its shape is made once)."""

from __future__ import annotations

__all__ = ["demo_pyproject"]


def demo_pyproject(*dependencies: str, requires_python: str = ">=3.12") -> str:
    """pyproject.toml text of project `demo` 0.1.0 needing `dependencies`, unseeded (no pip: small and fast envs)."""
    deps = ", ".join(f'"{d}"' for d in dependencies)
    return (
        f'[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = "{requires_python}"\n'
        f"dependencies = [{deps}]\n\n[tool.corral]\nseed = false\n"
    )
