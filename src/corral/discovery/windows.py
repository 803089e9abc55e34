"""Windows: the PEP 514 registry and the `py` launcher (PEP 397).

The registry reader is a parameter so the parsing is unit-tested on every OS.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from corral.discovery.sources import Candidate

__all__ = ["RegistryEntry", "iter_windows_candidates", "parse_py_list_paths", "registry_candidates"]

# `py --list-paths` lines look like: " -V:3.12 *        C:\Python312\python.exe" (3.11+ launcher)
# or " -3.9-64        C:\Python39\python.exe" (older launcher).
_PY_LIST = re.compile(r"^\s*-(?:V:)?(?P<tag>\S+)\s+(?:\*\s+)?(?P<path>.+?\.exe)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    r"""One `HKEY\Software\Python\<Company>\<Tag>` key (PEP 514)."""

    hive: str
    company: str
    tag: str
    install_path: str | None
    executable_path: str | None


def registry_candidates(entries: Iterable[RegistryEntry]) -> Iterator[Candidate]:
    r"""Interpreters named by PEP 514 keys: `ExecutablePath`, else `InstallPath\python.exe`.

    PEP 514: keys under `PyLauncher` are not interpreters and are skipped.
    """
    for entry in entries:
        if entry.company.lower() == "pylauncher":
            continue
        if entry.executable_path:
            yield Candidate(Path(entry.executable_path), f"registry:{entry.company}")
        elif entry.install_path:
            yield Candidate(Path(entry.install_path) / "python.exe", f"registry:{entry.company}")


def parse_py_list_paths(output: str) -> Iterator[Candidate]:
    """Interpreters printed by `py --list-paths`."""
    for line in output.splitlines():
        match = _PY_LIST.match(line)
        if match:
            yield Candidate(Path(match["path"].strip()), "py-launcher")


def _read_registry() -> Iterator[RegistryEntry]:  # pragma: no cover - needs Windows
    import winreg  # type: ignore[import-not-found,unused-ignore]

    hives = (("HKCU", winreg.HKEY_CURRENT_USER), ("HKLM", winreg.HKEY_LOCAL_MACHINE))
    for hive_name, hive in hives:
        for view in (winreg.KEY_WOW64_64KEY, winreg.KEY_WOW64_32KEY):
            try:
                root = winreg.OpenKey(hive, r"Software\Python", 0, winreg.KEY_READ | view)
            except OSError:
                continue
            yield from _companies(winreg, root, hive_name)


def _companies(winreg: object, root: object, hive_name: str) -> Iterator[RegistryEntry]:  # pragma: no cover
    wr: object = winreg
    index = 0
    while True:
        try:
            company = wr.EnumKey(root, index)
        except OSError:
            return
        index += 1
        company_key = wr.OpenKey(root, company)
        tag_index = 0
        while True:
            try:
                tag = wr.EnumKey(company_key, tag_index)
            except OSError:
                break
            tag_index += 1
            yield RegistryEntry(hive_name, company, tag, *_install_values(wr, company_key, tag))


def _install_values(wr: object, company_key: object, tag: str) -> tuple[str | None, str | None]:  # pragma: no cover
    try:
        key = wr.OpenKey(company_key, tag + r"\InstallPath")
    except OSError:
        return None, None
    values: list[str | None] = []
    for name in ("", "ExecutablePath"):
        try:
            values.append(str(wr.QueryValueEx(key, name)[0]))
        except OSError:  # noqa: PERF203 - two registry values, each may be absent
            values.append(None)
    return values[0], values[1]


def iter_windows_candidates(
    read_registry: Callable[[], Iterable[RegistryEntry]] = _read_registry,
    run_py: Callable[[], str] | None = None,
) -> Iterator[Candidate]:
    """Registry interpreters, then whatever the `py` launcher adds."""
    yield from registry_candidates(read_registry())
    output = run_py() if run_py is not None else _run_py_launcher()
    yield from parse_py_list_paths(output)


def _run_py_launcher() -> str:  # pragma: no cover - needs Windows
    import shutil

    from corral.infra.proc import run

    launcher = shutil.which("py")
    if launcher is None:
        return ""
    return run([launcher, "--list-paths"], check=False, timeout=10).stdout
