"""`corral --help`: the commands grouped the way people use them, each with one example (as `uv help` does)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["GROUPS", "top_epilog"]

# (group title, ((command, example), ...)); a command missing here is listed under "other" so none is lost.
GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "project",
        (
            ("init", "corral init --python 3.12"),
            ("add", "corral add 'requests>=2.31' --group tests"),
            ("remove", "corral remove requests"),
            ("lock", "corral lock --upgrade-package requests"),
            ("sync", "corral sync --all-groups"),
            ("run", "corral run pytest -x"),
            ("tree", "corral tree"),
            ("outdated", "corral outdated"),
            ("import", "corral import requirements.txt"),
            ("export", "corral export --format requirements.txt --hashes -o requirements.txt"),
            ("adopt", "corral adopt --dry-run"),
        ),
    ),
    (
        "envs and shells",
        (
            ("venv", "corral venv .venv --python 3.11"),
            ("info", "corral info .venv"),
            ("envs", "corral envs list --sort size"),
            ("shell", "corral shell"),
            ("activate", 'eval "$(corral activate)"'),
            ("deactivate", 'eval "$(corral deactivate)"'),
            ("hook", 'eval "$(corral hook bash)"   (in ~/.bashrc)'),
            ("allow", "corral allow ../other/.venv"),
            ("kernel", "corral kernel add --name myproject"),
            ("completion", 'eval "$(corral completion bash)"   (in ~/.bashrc)'),
        ),
    ),
    (
        "health",
        (
            ("doctor", "corral doctor --fix"),
            ("which", "corral which"),
            ("recreate", "corral recreate --yes"),
            ("config", "corral config --json"),
            ("cache", "corral cache prune"),
        ),
    ),
    (
        "Pythons",
        (
            ("python", "corral python list"),
            ("upgrade", "corral upgrade --python 3.13"),
        ),
    ),
    ("throwaway", (("x", "corral x ruff check ."),)),
)


def top_epilog(commands: Mapping[str, str]) -> str:
    """The grouped command list for `commands` (name -> one-line help)."""
    width = max(len(name) for name in commands) + 2
    lines: list[str] = []
    listed: set[str] = set()
    for title, members in GROUPS:
        present = [(name, example) for name, example in members if name in commands]
        if not present:
            continue
        lines.append(f"{title}:")
        for name, example in present:
            lines.append(f"  {name:<{width}}{commands[name]}")
            lines.append(f"  {'':<{width}}  $ {example}")
            listed.add(name)
    others = [name for name in commands if name not in listed]
    if others:
        lines.append("other:")
        lines.extend(f"  {name:<{width}}{commands[name]}" for name in others)
    lines.append("")
    lines.append(
        "run `corral COMMAND --help` for a command's options; exit codes: 0 ok, 1 a check found a problem or "
        "an operation failed, 2 usage, 130 interrupted"
    )
    return "\n".join(lines)
