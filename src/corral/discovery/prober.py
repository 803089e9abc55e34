"""Identify interpreters by running a tiny probe in them, at most once per binary (cached on disk)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from corral.errors import EngineError, InterpreterNotFound
from corral.infra.fingerprint import fingerprint
from corral.infra.fs import atomic_write_text

__all__ = ["CachedProber"]

_CACHE_SCHEMA = 3
_PROBE_TIMEOUT = 20


class CachedProber:
    """Probe interpreters; answers are cached by (path, size, mtime) so a later call starts nothing."""

    def __init__(self, cache_file: Path | None) -> None:
        self._cache_file = cache_file
        self._cache: dict[str, Any] = self._load()
        self._dirty = False

    def _load(self) -> dict[str, Any]:
        if self._cache_file is None:
            return {}
        try:
            data = json.loads(self._cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("schema") != _CACHE_SCHEMA:
            return {}
        entries = data.get("entries", {})
        return entries if isinstance(entries, dict) else {}

    def cached(self, path: Path) -> dict[str, Any] | None:
        """The cached answer for `path` if the file is unchanged, else None (no probe is run)."""
        entry = self._cache.get(str(path))
        if entry and entry.get("fingerprint") == fingerprint(path):
            return dict(entry["info"])
        return None

    def probe(self, path: Path) -> dict[str, Any]:
        """What the interpreter at `path` says about itself (raises InterpreterNotFound)."""
        hit = self.cached(path)
        if hit is not None:
            return hit
        identity = fingerprint(path)
        if identity is None:
            msg = f"no interpreter at {path}"
            raise InterpreterNotFound(msg)
        from corral.infra.environ import isolated_environ  # here: a cached answer (doctor's) starts nothing
        from corral.infra.probe import PROBE_INFO
        from corral.infra.proc import run

        try:
            # -E -s: ignore PYTHON* variables and the user site, in every Python from 2.7 on.
            done = run(
                [str(path), "-E", "-s", str(PROBE_INFO)],
                env=isolated_environ(),
                timeout=_PROBE_TIMEOUT,
                what=f"probe of {path}",
            )
            info = json.loads(done.stdout)
        except (EngineError, ValueError) as err:
            msg = f"{path} does not run as a Python interpreter ({err})"
            raise InterpreterNotFound(msg) from err
        self._cache[str(path)] = {"fingerprint": identity, "info": info}
        self._dirty = True
        return dict(info)

    def probe_many(self, paths: Iterable[Path]) -> dict[Path, dict[str, Any] | None]:
        """Probe several paths in parallel; failures map to None."""
        todo = list(dict.fromkeys(paths))
        results: dict[Path, dict[str, Any] | None] = {}
        misses = []
        for p in todo:
            hit = self.cached(p)
            if hit is None:
                misses.append(p)
            else:
                results[p] = hit
        if misses:
            from concurrent.futures import ThreadPoolExecutor  # ~1 ms to import: only when a probe has to run

            workers = min(8, (os.cpu_count() or 2) * 2, len(misses))
            with ThreadPoolExecutor(max_workers=workers) as pool:
                results.update(zip(misses, pool.map(self._probe_or_none, misses), strict=True))
        return results

    def _probe_or_none(self, path: Path) -> dict[str, Any] | None:
        try:
            return self.probe(path)
        except InterpreterNotFound:
            return None

    def save(self) -> None:
        """Write the cache if anything new was learned (atomic; a lost race only costs a re-probe)."""
        if not self._dirty or self._cache_file is None:
            return
        payload = {"schema": _CACHE_SCHEMA, "entries": self._cache}
        try:
            atomic_write_text(self._cache_file, json.dumps(payload, sort_keys=True))
        except OSError:
            return  # a read-only cache folder must not break discovery
        self._dirty = False
