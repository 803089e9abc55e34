"""List every interpreter on the machine and choose the best one for a spec."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from corral.core.interpreter import InterpreterInfo
from corral.core.pyversion import sort_key
from corral.core.spec import PythonSpec
from corral.discovery.sources import Candidate, iter_candidates
from corral.errors import InterpreterNotFound

if TYPE_CHECKING:
    from corral.discovery.prober import CachedProber

__all__ = ["InterpreterFinder"]

_SOURCE_RANK = {"pyenv": 0, "uv": 1, "path": 2, "framework": 3, "system": 4}


def in_venv(exe: str | os.PathLike[str]) -> bool:
    """True when `exe` runs as an environment's interpreter: a pyvenv.cfg beside it or one folder up (PEP 405)."""
    folder = os.path.dirname(os.path.abspath(exe))
    return any(os.path.isfile(os.path.join(place, "pyvenv.cfg")) for place in (folder, os.path.dirname(folder)))


class InterpreterFinder:
    """Discovery over all sources with duplicates (symlinks, copies of one install) folded."""

    def __init__(
        self, prober: CachedProber, environ: Mapping[str, str] | None = None, *, untrusted: Sequence[str] = ()
    ) -> None:
        """`untrusted`: real paths of folders (projects) whose programs are never candidates, even on PATH."""
        self._prober = prober
        self._environ = os.environ if environ is None else environ
        self._untrusted = tuple(root.rstrip(os.sep) + os.sep for root in untrusted)
        self._all: list[InterpreterInfo] | None = None

    def all(self) -> list[InterpreterInfo]:
        """Every distinct base interpreter found, newest first."""
        if self._all is None:
            self._all = self._discover()
        return self._all

    def _discover(self) -> list[InterpreterInfo]:
        # a venv's python (an activated env's bin on PATH) links to its base: were it first in the base's group,
        # the group's probe would say "venv" and the installation itself would vanish from the listing
        candidates = [cand for cand in iter_candidates(self._environ) if not in_venv(cand.path)]
        by_real: dict[str, list[Candidate]] = {}
        for cand in candidates:
            real = os.path.realpath(cand.path)
            if not real.startswith(self._untrusted):  # a program a repository ships is never started
                by_real.setdefault(real, []).append(cand)
        firsts = {real: group[0].path for real, group in by_real.items()}
        answers = self._prober.probe_many(firsts.values())
        self._prober.save()
        folded: dict[tuple[str, str], InterpreterInfo] = {}
        for real, group in by_real.items():
            data = answers.get(firsts[real])
            if data is None or data.get("is_venv"):
                continue  # not a Python, or an environment rather than an installation
            info = InterpreterInfo.from_probe(data, path=str(group[0].path))
            ident = (os.path.realpath(info.base_prefix or info.prefix), info.version)
            names = tuple(str(c.path) for c in group)
            sources = tuple(dict.fromkeys(c.source for c in group))
            if ident in folded:
                known = folded[ident]
                folded[ident] = known.replace(
                    aliases=tuple(dict.fromkeys(known.aliases + names)),
                    sources=tuple(dict.fromkeys(known.sources + sources)),
                )
            else:
                folded[ident] = info.replace(aliases=names[1:], sources=sources)
        return sorted(folded.values(), key=_preference)

    def find(self, spec: PythonSpec | str) -> InterpreterInfo:
        """The best interpreter for `spec`; InterpreterNotFound lists what was found otherwise."""
        parsed = PythonSpec.parse(spec) if isinstance(spec, str) else spec
        if parsed.path is not None:
            return self.from_path(Path(parsed.path).expanduser())
        matches = [i for i in self.all() if parsed.matches(i)]
        if not matches:
            raise InterpreterNotFound(self._not_found_message(parsed))
        return matches[0]

    def knows(self, path: Path) -> bool:
        """`path` (a file, or an install folder holding one) is a file discovery lists (nothing is started).

        The sources are PATH, pyenv, uv-managed and system folders: what `corral python list` probes.
        """
        exe = _executable_in(path) if path.is_dir() else path
        if exe is None:
            return False
        real = os.path.realpath(exe)
        if real.startswith(self._untrusted):
            return False
        return any(os.path.realpath(c.path) == real for c in iter_candidates(self._environ))

    def from_path(self, path: Path) -> InterpreterInfo:
        """Identify the interpreter at `path` (a file, or an install/env folder holding one)."""
        exe = _executable_in(path) if path.is_dir() else path
        if exe is None or not exe.exists():
            msg = f"no Python interpreter at {path}; pass the path of a python executable or a version like 3.12"
            raise InterpreterNotFound(msg)
        info = InterpreterInfo.from_probe(self._prober.probe(exe.absolute()), path=str(exe.absolute()), source="path")
        self._prober.save()
        return info

    def default(self) -> InterpreterInfo:
        """The interpreter used when nothing asks for one: the newest stable, non-legacy CPython."""
        for info in self.all():
            if info.implementation == "CPython" and not info.is_legacy and not info.free_threaded:
                return info
        if self.all():
            return self.all()[0]
        msg = "no Python interpreter found on this machine (searched PATH, pyenv, uv, system folders)"
        raise InterpreterNotFound(msg)

    def _not_found_message(self, spec: PythonSpec) -> str:
        found = ", ".join(sorted({i.version for i in self.all()}, key=sort_key, reverse=True)) or "none"
        return (
            f"no interpreter matches '{spec}' (searched PATH, pyenv, uv-managed and system folders; found: {found}); "
            "install one (e.g. `pyenv install` or `uv python install`) or pass --python /path/to/python"
        )


def _executable_in(folder: Path) -> Path | None:
    for rel in ("bin/python3", "bin/python", "python.exe", "Scripts/python.exe", "python3", "python"):
        if (folder / rel).is_file():
            return folder / rel
    return None


def _preference(info: InterpreterInfo) -> tuple[object, ...]:
    ranks: Sequence[int] = [_SOURCE_RANK.get(s.split(":")[0], 9) for s in info.sources] or [9]
    return (
        tuple(-p for p in info.version_info),
        info.free_threaded,
        info.externally_managed,
        min(ranks),
        info.path,
    )
