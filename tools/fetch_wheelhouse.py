#!/usr/bin/env python3
"""Download, once, the real wheels the test suite installs with no network.

Usage: ``python tools/fetch_wheelhouse.py [DEST] [--section NAME ...] [--all] [--dry-run]``

Reads ``tests/wheelhouse.txt`` (its header explains the format), runs one
``python -m pip download --only-binary=:all:`` per line into DEST (default
``tests/.wheelhouse``) with the machine's pip configuration shut out, and
records what each line fetched in ``DEST/manifest.txt``.  A line whose files
the manifest names and DEST holds is not fetched again, so a second run does
nothing and returns at once.  Standard library only.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "tests" / "wheelhouse.txt"
DEFAULT_DEST = ROOT / "tests" / ".wheelhouse"
MANIFEST = "manifest.txt"
DEFAULT_GLIBC = (2, 28)
OLDEST_GLIBC_MINOR = 17
# pip variables that only say how to reach the index; every other PIP_* is dropped.
NETWORK_PIP_VARS = frozenset(
    {
        "PIP_CERT",
        "PIP_CLIENT_CERT",
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "PIP_TRUSTED_HOST",
        "PIP_PROXY",
        "PIP_DEFAULT_TIMEOUT",
        "PIP_TIMEOUT",
        "PIP_RETRIES",
    }
)
SAVED = re.compile(r"^\s*(?:Saved|File was already downloaded)\s+(\S.*?)\s*$")


@dataclass(frozen=True)
class Line:
    """One requirement line of the spec with its options."""

    section: str
    requirement: str
    target: str | None = None
    deps: bool = False
    platform: str | None = None

    @property
    def key(self) -> str:
        """Return the canonical text that names this line in the manifest."""
        options = [f"target={self.target}"] if self.target else []
        options += ["deps"] if self.deps else []
        options += [f"platform={self.platform}"] if self.platform else []
        return " ; ".join([self.requirement, *options])


@dataclass(frozen=True)
class Spec:
    """The parsed spec: its lines and which sections are fetched by default."""

    lines: tuple[Line, ...]
    defaults: frozenset[str]

    def select(self, sections: list[str] | None, *, everything: bool) -> list[Line]:
        """Return the lines of the chosen sections (default sections if none chosen)."""
        if everything:
            return list(self.lines)
        chosen = set(sections) if sections else self.defaults
        return [line for line in self.lines if line.section in chosen]


def parse_header(text: str, number: int) -> tuple[str, bool]:
    """Return (name, fetched by default) of a ``[name] fetch=...`` header."""
    match = re.fullmatch(r"\[([\w.-]+)\]\s*(?:fetch=(default|optional))?", text)
    if match is None:
        raise ValueError(f"line {number}: bad section header {text!r}")
    return match.group(1), match.group(2) != "optional"


def parse_line(section: str, text: str, number: int) -> Line:
    """Return the Line a requirement line describes."""
    requirement, *raw_options = (part.strip() for part in text.split(";"))
    values: dict[str, str] = {}
    deps = False
    for option in filter(None, raw_options):
        name, _, value = option.partition("=")
        if option == "deps":
            deps = True
        elif (name == "target" and re.fullmatch(r"\d+\.\d+", value)) or option == "platform=linux":
            values[name] = value
        else:
            raise ValueError(f"line {number}: unknown option {option!r}")
    return Line(section, requirement, values.get("target"), deps, values.get("platform"))


def parse_spec(text: str) -> Spec:
    """Parse the wheelhouse spec text."""
    section, lines, defaults = "default", [], {"default"}
    for number, raw in enumerate(text.splitlines(), start=1):
        content = raw.split("#", 1)[0].strip()
        if not content:
            continue
        if content.startswith("["):
            section, by_default = parse_header(content, number)
            if not by_default:
                defaults.discard(section)
            else:
                defaults.add(section)
        else:
            lines.append(parse_line(section, content, number))
    return Spec(tuple(lines), frozenset(defaults))


def read_manifest(dest: Path) -> dict[str, list[str]]:
    """Return the manifest's files by line key (empty if there is none)."""
    path = dest / MANIFEST
    entries: dict[str, list[str]] = {}
    if not path.is_file():
        return entries
    for row in path.read_text(encoding="utf-8").splitlines():
        if row and not row.startswith("#") and "\t" in row:
            key, filename = row.split("\t", 1)
            entries.setdefault(key, []).append(filename)
    return entries


def write_manifest(dest: Path, entries: dict[str, list[str]]) -> None:
    """Write the manifest atomically."""
    rows = ["# written by tools/fetch_wheelhouse.py: <requirement line> TAB <file>"]
    rows += [f"{key}\t{name}" for key in sorted(entries) for name in sorted(set(entries[key]))]
    temporary = dest / f".{MANIFEST}.tmp"
    temporary.write_text("\n".join(rows) + "\n", encoding="utf-8")
    temporary.replace(dest / MANIFEST)


def is_fetched(line: Line, manifest: dict[str, list[str]], dest: Path) -> bool:
    """Tell whether a previous run fetched this line and its files are all still there."""
    names = manifest.get(line.key)
    return bool(names) and all((dest / name).is_file() for name in names or ())


def missing(dest: Path, spec_path: Path = SPEC) -> list[str]:
    """Return the default lines whose files DEST lacks (empty when the wheelhouse is complete)."""
    spec = parse_spec(spec_path.read_text(encoding="utf-8"))
    manifest = read_manifest(dest)
    return [line.key for line in spec.select(None, everything=False) if not is_fetched(line, manifest, dest)]


def say(text: str, *, file: TextIO = sys.stdout) -> None:
    """Tell the user something."""
    print(text, file=file)


def host_version() -> str:
    """Return the running interpreter's ``X.Y``."""
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def is_linux_x86_64_cpython() -> bool:
    """Tell whether this interpreter is CPython on Linux x86_64."""
    return sys.implementation.name == "cpython" and sys.platform == "linux" and platform.machine() == "x86_64"


def glibc_ceiling() -> tuple[int, int]:
    """Return this machine's glibc version, or a common one when unknown."""
    libc, version = platform.libc_ver()
    match = re.match(r"(\d+)\.(\d+)", version) if libc == "glibc" else None
    return (int(match.group(1)), int(match.group(2))) if match else DEFAULT_GLIBC


def linux_platforms() -> list[str]:
    """Return pip ``--platform`` values for Linux x86_64 wheels this machine can run."""
    major, newest = glibc_ceiling()
    tags = [f"manylinux_{major}_{minor}_x86_64" for minor in range(newest, OLDEST_GLIBC_MINOR - 1, -1)]
    return [*tags, "manylinux2014_x86_64", "linux_x86_64"]


def target_args(line: Line) -> list[str]:
    """Return the pip flags that aim the download at the line's target Python and platform."""
    if line.target is None:
        return []
    if line.platform == "linux" and line.target == host_version() and is_linux_x86_64_cpython():
        return []  # the host itself: pip picks exactly what this interpreter can install
    args = ["--python-version", line.target]
    if line.platform == "linux":
        args += ["--implementation", "cp"]
        for name in linux_platforms():
            args += ["--platform", name]
    return args


def pip_command(line: Line, dest: Path) -> list[str]:
    """Return the pip download command of one line."""
    command = [sys.executable, "-m", "pip", "download", "--dest", str(dest), "--only-binary=:all:"]
    command += ["--progress-bar", "off", "--no-color"]
    command += [] if line.deps else ["--no-deps"]
    return [*command, *target_args(line), line.requirement]


def pip_environ() -> dict[str, str]:
    """Return the environment for pip: no machine config, no find-links, only network settings kept."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k in NETWORK_PIP_VARS}
    environ.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    for name in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH"):
        environ.pop(name, None)
    return environ


def fetched_files(output: str) -> list[str]:
    """Return the names of the files pip's output says it saved or already had."""
    return [Path(match.group(1)).name for match in map(SAVED.match, output.splitlines()) if match]


def fetch(line: Line, dest: Path) -> list[str] | None:
    """Download one line into `dest`; return its files, or None (after printing why) on failure."""
    started = time.monotonic()
    result = subprocess.run(pip_command(line, dest), env=pip_environ(), capture_output=True, text=True, check=False)
    names = fetched_files(result.stdout)
    if result.returncode != 0 or not names:
        say(f"  FAILED: {line.key}\n{result.stdout}{result.stderr}", file=sys.stderr)
        return None
    say(f"  {line.key}: {len(names)} file(s) in {time.monotonic() - started:.1f}s")
    return names


def run(dest: Path, lines: list[Line], *, dry_run: bool) -> int:
    """Fetch every line not fetched yet; return the exit status."""
    manifest = read_manifest(dest)
    todo = [line for line in lines if not is_fetched(line, manifest, dest)]
    if not todo:
        say(f"wheelhouse {dest} is up to date ({len(lines)} lines)")
        return 0
    if dry_run:
        for line in todo:
            say(" ".join(pip_command(line, dest)))
        return 0
    dest.mkdir(parents=True, exist_ok=True)
    say(f"fetching {len(todo)} of {len(lines)} lines into {dest}")
    failures = 0
    for line in todo:
        names = fetch(line, dest)
        if names is None:
            failures += 1
            continue
        manifest[line.key] = names
        write_manifest(dest, manifest)
    return 1 if failures else 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", nargs="?", type=Path, default=DEFAULT_DEST, help="wheelhouse folder")
    parser.add_argument("--spec", type=Path, default=SPEC, help="requirement list (default: tests/wheelhouse.txt)")
    parser.add_argument("--section", action="append", help="fetch only this section (repeatable)")
    parser.add_argument("--all", action="store_true", help="fetch every section, optional ones too")
    parser.add_argument("--dry-run", action="store_true", help="print the pip commands instead of running them")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the script."""
    args = parse_args(argv)
    spec = parse_spec(args.spec.read_text(encoding="utf-8"))
    lines = spec.select(args.section, everything=args.all)
    return run(args.dest.resolve(), lines, dry_run=args.dry_run)


if __name__ == "__main__":
    sys.exit(main())
