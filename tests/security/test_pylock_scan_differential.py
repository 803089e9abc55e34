"""core.pylock_scan + pylock_select.select_scanned against tomllib + select_packages: the same files, or no answer.

A pulled pylock.toml is untrusted input, and a sync that has not chosen from it before reads it through the fast
path. Wherever that path answers, its answer must be exactly the general path's (the same Chosen: names, versions,
files, URLs, hashes, index); wherever the general path refuses the lock (tomllib, check_lock, packaging, an unknown
group, a package for another Python, no usable file), the fast path must not answer. The locks are written by
corral's own writer from seeded random packages (markers, requires-python, groups, extras, wheel tags of every
platform, build tags, capitals, sdists, indexes and project pages) and chosen for several targets and selections;
then each is bent the ways a hand edit or another tool could (CRLF, comments, escapes, spacing, order, a duplicate
key, an impossible date, a percent-encoded URL, other file names...). The index URLs are text only: nothing is
fetched. A lock the fast path reads also passes `check_lock` (the cache then remembers it as checked).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import UndefinedComparison, UndefinedEnvironmentName

from corral.core.interpreter import InterpreterInfo
from corral.core.pylock_check import check_lock
from corral.core.pylock_scan import scan
from corral.core.pylock_select import Chosen, TargetFacts, select_packages, select_scanned
from corral.core.pylock_write import LockDocument, render_pylock
from corral.core.selection import Selection
from corral.errors import CorralError
from corral.services.sync import selection_cache
from support.toml import tomllib

LINUX = ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64", "linux_x86_64"]
WINDOWS = ["win_amd64"]
MAC = ["macosx_14_0_arm64", "macosx_11_0_arm64", "macosx_11_0_universal2"]

_NAMES = {  # normalized name -> how its files spell it
    "alpha": "alpha",
    "pyyaml": "PyYAML",
    "ruamel-yaml": "ruamel.yaml",
    "zope-interface": "zope_interface",
    "numpy": "numpy",
    "typing-extensions": "typing_extensions",
}
_VERSIONS = ("1.0", "2.0.0", "1.0rc1", "1.0.post1", "3.1.dev0", "10.2.3")
_MARKERS = (
    None,
    None,
    None,
    "sys_platform == 'win32'",
    "sys_platform == 'darwin'",
    "python_full_version < '3.13'",
    "python_version >= '3.9' and platform_machine == 'x86_64'",
    "'dev' in dependency_groups",
    "'docs' in dependency_groups or ('fast' in extras and sys_platform == 'linux')",
    "'fast' in extras",
    "implementation_name == 'pypy'",
)
_BAD_MARKERS = ("extra == 'fast'", "not a marker", "python_version < 'x'")
_PYTHONS = (None, None, None, None, ">=3.8", ">=3.13", "<3.9", "~=3.12")
_TAGS = (
    "py3-none-any",
    "py2.py3-none-any",
    "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp312-cp312-manylinux_2_28_x86_64",
    "cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp311-cp311-manylinux_2_17_x86_64",
    "cp38-cp38-manylinux_2_17_x86_64",
    "cp312-abi3-manylinux_2_17_x86_64",
    "cp312-cp312-win_amd64",
    "cp312-cp312-WIN_AMD64",
    "cp312-cp312-macosx_11_0_arm64",
    "cp312-cp312-musllinux_1_2_x86_64",
    "pp310-pypy310_pp73-manylinux_2_17_x86_64",
    "cp313-cp313t-manylinux_2_17_x86_64",
    "1-py3-none-any",
    "2b-cp312-cp312-manylinux_2_17_x86_64",
)
_INDEXES = ("https://pypi.org/simple", "https://mirror.example/simple/{name}/", "http://local.example:8080/simple")
_TIME = dt.datetime(2024, 2, 29, 12, 30, 5, tzinfo=dt.timezone.utc)


def interp(
    version: tuple[int, int, int], *, system: str = "Linux", implementation: str = "CPython", abiflags: str = ""
) -> InterpreterInfo:
    """A hand-made target (what the probe would report)."""
    windows, mac = system == "Windows", system == "Darwin"
    full = ".".join(map(str, version))
    marker_env = {
        "implementation_name": implementation.lower(),
        "implementation_version": full,
        "os_name": "nt" if windows else "posix",
        "platform_machine": "AMD64" if windows else "arm64" if mac else "x86_64",
        "platform_release": "",
        "platform_system": system,
        "platform_version": "",
        "python_full_version": full,
        "platform_python_implementation": implementation,
        "python_version": f"{version[0]}.{version[1]}",
        "sys_platform": "win32" if windows else "darwin" if mac else "linux",
    }
    pypy = implementation == "PyPy"
    return InterpreterInfo(
        path="/x/python",
        realpath="/x/python",
        implementation=implementation,
        version=full,
        version_info=version,
        machine="x86_64",
        pointer_bits=64,
        platform=marker_env["sys_platform"],
        prefix="/x",
        base_prefix="/x",
        marker_env=marker_env,
        soabi=f"pypy{version[0]}{version[1]}-pp73-x86_64-linux-gnu" if pypy else "",
        abiflags=abiflags,
        free_threaded="t" in abiflags,
    )


TARGETS = [
    (interp((3, 12, 1)), LINUX),
    (interp((3, 13, 0)), LINUX),
    (interp((3, 8, 18)), LINUX),
    (interp((3, 12, 4), system="Windows"), WINDOWS),
    (interp((3, 12, 4), system="Darwin"), MAC),
    (interp((3, 10, 14), implementation="PyPy"), LINUX),
    (interp((3, 13, 1), abiflags="t"), LINUX),  # free-threaded
    (interp((3, 12, 1)), ["musllinux_1_2_x86_64", "linux_x86_64"]),
]
SELECTIONS = [
    Selection(),
    Selection(groups=("docs",)),
    Selection(extras=("fast",), no_dev=True),
    Selection(all_groups=True, all_extras=True),
    Selection(groups=("nope",)),
]
CASES = [(target, platforms, selection) for target, platforms in TARGETS for selection in SELECTIONS]


class _Locks:
    """Seeded lock documents in corral's layout."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - seeded test data

    def digest(self) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(64))

    def file(self, filename: str, index: str) -> dict[str, Any]:
        base = "file:///srv/wheels" if index.startswith("http://") else "https://files.example/packages/ab/cd"
        entry: dict[str, Any] = {"name": filename, "url": f"{base}/{filename}"}
        if self.rng.random() < 0.9:
            entry["size"] = self.rng.randint(0, 10**7)
            entry["upload-time"] = _TIME.replace(day=self.rng.randint(1, 29), microsecond=self.rng.choice([0, 123]))
        entry["hashes"] = {"sha256": self.digest()}
        return entry

    def package(self, name: str) -> dict[str, Any]:
        rng = self.rng
        version = rng.choice(_VERSIONS)
        spelled = _NAMES[name] if rng.random() < 0.5 else name.replace("-", "_")
        index = rng.choice(_INDEXES).format(name=name)
        entry: dict[str, Any] = {"name": name, "version": version, "index": index}
        if (marker := rng.choice(_BAD_MARKERS if rng.random() < 0.02 else _MARKERS)) is not None:
            entry["marker"] = marker
        if (python := rng.choice(_PYTHONS)) is not None:
            entry["requires-python"] = python
        if rng.random() < 0.3:
            entry["dependencies"] = [{"name": n} for n in sorted(rng.sample(list(_NAMES), 2))]
        if rng.random() < 0.7:
            entry["sdist"] = self.file(f"{spelled.replace('.', '_').lower()}-{version}.tar.gz", index)
            if rng.random() < 0.5:
                del entry["sdist"]["name"]
        tags = rng.sample(_TAGS, rng.randint(0 if "sdist" in entry else 1, 6))
        entry["wheels"] = [self.file(f"{spelled.replace('-', '_')}-{version}-{tag}.whl", index) for tag in tags]
        return entry

    def text(self) -> str:
        rng = self.rng
        names = rng.sample(list(_NAMES), rng.randint(1, len(_NAMES)))
        if rng.random() < 0.2:
            names.append(names[0])
        packages = [self.package(name) for name in sorted(names)]
        doc = LockDocument(
            requires_python=rng.choice([None, ">=3.8", ">=3.9"]),
            extras=rng.choice([(), ("fast",)]),
            dependency_groups=rng.choice([(), ("dev", "docs"), ("docs",)]),
            default_groups=rng.choice([(), ("dev",)]),
            packages=packages,
            inputs_hash="sha256:" + self.digest(),
        )
        return render_pylock(doc)


def _slow(text: str, target: InterpreterInfo, platforms: list[str], selection: Selection) -> list[Chosen] | Exception:
    try:
        data = tomllib.loads(text)
        return select_packages(data, target=target, selection=selection, lock_dir=Path("/lock"), platforms=platforms)
    except (tomllib.TOMLDecodeError, ValueError, CorralError, UndefinedComparison, UndefinedEnvironmentName) as err:
        return err


_FACTS: dict[int, TargetFacts] = {}  # per case: what select_scanned learned from the locks before (as a machine does)


def _compare(text: str, *, every: int = 1) -> tuple[int, int]:
    """(fast answers, general answers) over every `every`th target and selection; fails at any answer that differs."""
    scanned = scan(text)
    if scanned is not None:  # the cache then remembers the lock as checked
        check_lock(tomllib.loads(text), origin="pylock.toml")
    answered = cases = 0
    for number, (target, platforms, selection) in enumerate(CASES):
        if number % every == 0:
            slow = _slow(text, target, platforms, selection)
            cases += not isinstance(slow, Exception)
            fast = (
                None
                if scanned is None
                else select_scanned(scanned, target=target, selection=selection, platforms=platforms)
            )
            if scanned is not None:  # what packaging answered for the earlier locks, kept as a sync keeps it
                kept = _FACTS.get(number)
                facts = TargetFacts.from_json(json.loads(json.dumps(kept.to_json()))) if kept else TargetFacts()
                assert facts is not None, "the facts read back what they wrote"
                remembered = select_scanned(
                    scanned, target=target, selection=selection, platforms=platforms, facts=facts
                )
                assert remembered == fast, f"the kept facts chose otherwise: {target.version} {platforms} {selection}"
                _FACTS[number] = facts
            if fast is not None:
                answered += 1
                assert not isinstance(slow, Exception), f"the general path refuses ({slow}); the fast one chose {fast}"
                assert fast == slow, f"{target.version} {platforms} {selection}:\n{text}"
    return answered, cases


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_generated_locks_choose_what_the_general_path_chooses(seed: int) -> None:
    locks = _Locks(seed)
    answered = cases = 0
    for _ in range(20):
        text = locks.text()
        assert scan(text) is not None, f"corral's own layout is scanned:\n{text}"
        got = _compare(text)
        answered, cases = answered + got[0], cases + got[1]
    assert answered == cases, "where the general path answers, so does the fast one (corral's own layout)"


def _bends(text: str, rng: random.Random) -> list[str]:
    """`text` edited the ways a hand edit or another tool could, each edit on its own."""
    lines = text.split("\n")
    some = rng.randrange(1, len(lines) - 2)
    bent = [
        text.replace("\n", "\r\n"),
        text.replace("\n", "\r\n", 3),
        text.replace("\n[[packages]]\n", "\n# a comment\n[[packages]]\n", 1),
        text.replace('"\n', '" # c\n', 1),
        text.replace('url = "', 'url =  "', 1),
        text.replace('version = "', "version = '", 1).replace('"\nindex', "'\nindex", 1),
        text.replace('name = "', 'name = "\\u0061', 1),
        text.replace('sha256 = "', 'sha256 = "A', 1),
        text.replace('sha256 = "', 'SHA256 = "', 1),
        text.replace("upload-time = 2024-02-", "upload-time = 2023-02-", 1),
        text.replace("upload-time = 2024-02-2", "upload-time = 2024-02-3", 1),
        text.replace("size = ", "size = 0", 1),
        text.replace("size = ", "size = -", 1),
        text.replace("size = ", "size = " + "9" * 5000, 1),  # past int's digit limit: tomllib refuses it
        text.replace('version = "', 'version = "' + "9" * 5000 + ".", 1),  # and packaging's Version
        text.replace("size = ", 'size = "1', 1).replace("\nupload-time", '"\nupload-time', 1),
        text.replace(".whl", "%2B.whl", 1),
        text.replace(".whl", ".WHL", 1),
        text.replace("-py3-none-any.whl", "-py3-none-.whl", 1),
        text.replace("-cp312-cp312-", "-3cp-cp312-", 1),
        text.replace('version = "1.0"', 'version = "1.0.0"', 1),
        text.replace('version = "2.0.0"', 'version = "2.0"', 1),
        text.replace('version = "', 'version = "1!', 1),
        text.replace('version = "', 'version = "0', 1),
        text.replace('name = "alpha"', 'name = "Alpha"', 1),
        text.replace('name = "alpha"', 'name = "beta"', 1),
        text.replace("https://files.example", "ftp://files.example", 1),
        text.replace("https://files.example", "https://files.example/a b", 1),
        text.replace('index = "https://', 'index = "gopher://', 1),
        text.replace("[packages.sdist]", "[packages.archive]", 1),
        text.replace("[[packages.wheels]]", "[packages.wheels]", 1),
        text.replace("\n[tool.corral]\n", "\n[tool.corral]\nx = 1\n", 1),
        text.replace('lock-version = "1.0"', 'lock-version = "2.0"', 1),
        text.replace('lock-version = "1.0"', 'lock-version = "1.1"', 1),
        text.replace("extras = [", 'extras = ["Fast", ', 1),
        text.replace(
            'created-by = "corral"\n', 'created-by = "corral"\nenvironments = ["sys_platform == \'linux\'"]\n'
        ),
        text.replace('created-by = "corral"\n', 'created-by = "corral"\nrequires-python = ">=3.13"\n'),
        text.rstrip("\n"),
        text + "\n",
        "\ufeff" + text,
        "\n".join([*lines[:some], lines[some], *lines[some:]]),  # a line twice
        "\n".join([*lines[:some], lines[some + 1], lines[some], *lines[some + 2 :]]),  # two lines swapped
        "\n".join([*lines[:some], *lines[some + 1 :]]),  # a line dropped
        "\n".join([*lines[:some], lines[some] + " ", *lines[some + 1 :]]),  # a trailing space
        "\n".join([*lines[:some], lines[some].replace('"', "'"), *lines[some + 1 :]]),  # literal strings
        text.replace('marker = "', 'marker = "\\"', 1),
        text.replace('marker = "', 'marker = "\t', 1),
        text.replace("\n[[packages]]\n", "\n[[packages]]\nextra-key = 1\n", 1),
        text.replace('\n[[packages]]\nname = "', '\n[[packages]]\nname = "x', 1),
        # the header and the tail, which `split` reads line by line
        text[: text.rindex('inputs-hash = "')] + 'inputs-hash = "\n',  # one quote: no string
        text[: text.rindex('inputs-hash = "')] + 'inputs-hash = ""\n',
        text.replace("\n[tool.corral]\n", '\n[tool.corral]\ninputs-hash = "a"\n\n[tool.corral]\n', 1),
        text.replace("\n[[packages]]\n", "\n[[packages]]\n[[packages]]\n", 1),
        text.replace("\n[[packages]]\n", "\n\n[[packages]]\n", 1),
        text.replace("extras = [", 'extras = ["fast","docs", ', 1),
        text.replace("extras = [", 'extras = ["", ', 1),
        text.replace("extras = []", 'extras = ["]', 1),
        text.replace("extras = []", "extras = [ ]", 1),
        text.replace("default-groups = [", "default-groups = [\n", 1),
        text.replace('created-by = "corral"', 'created-by = "corral\\u00e9"', 1),
        text.replace('created-by = "corral"', 'created-by = "corral\u00e9"', 1),
        text.replace('created-by = "corral"', 'created-by = "corral', 1),
        text.replace('created-by = "corral"', 'created-by  = "corral"', 1),
        "# a comment \u00e9\n" + text,
        "# a comment\n#\n" + text,
        "#\t\n" + text,
        text.replace("lock-version", "\nlock-version", 1),
        text.replace('created-by = "corral"\n', "", 1),
        text.replace("dependency-groups = [", 'requires-python = ">=3"\ndependency-groups = [', 1),
    ]
    return [b for b in bent if b != text]


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_bent_locks_choose_what_the_general_path_chooses_or_nothing(seed: int) -> None:
    locks = _Locks(seed)
    rng = random.Random(seed)  # noqa: S311 - seeded test data
    refused = 0
    for _ in range(8):
        for text in _bends(locks.text(), rng):
            if scan(text) is None:
                refused += 1
            _compare(text, every=7)  # a different few of the cases for each bent text
    assert refused > 0


def test_the_big_stack_lock_layout_is_scanned_and_chooses_the_same() -> None:
    """A lock of the shape `corral lock` writes for a data stack: several files per package, every platform."""
    locks = _Locks(99)
    packages = []
    for number in range(40):
        entry = locks.package("alpha")
        entry["name"] = f"pkg-{number}"
        version = entry["version"]
        entry.pop("marker", None)
        entry.pop("requires-python", None)
        entry["wheels"] = [
            locks.file(f"pkg_{number}-{version}-{tag}.whl", entry["index"]) for tag in _TAGS if not tag[0].isdigit()
        ]
        entry.pop("sdist", None)
        packages.append(entry)
    text = render_pylock(
        LockDocument(
            requires_python=">=3.8",
            extras=("fast",),
            dependency_groups=("dev", "docs"),
            default_groups=("dev",),
            packages=packages,
            inputs_hash="x",
        )
    )
    answered, cases = _compare(text)
    assert answered == cases == len(TARGETS) * (len(SELECTIONS) - 1)  # all but the unknown group's


def _choose_through_cache(text: str, lock: Path, cache: Path, target: InterpreterInfo, selection: Selection) -> Any:
    """`selection_cache.choose` of `text` written at `lock` (a new process each time), or the error it raises."""
    lock.write_text(text, encoding="utf-8")
    for memo in (selection_cache._LAST_PARSED, selection_cache._LAST_SCANNED, selection_cache._LAST_SPLIT):  # noqa: SLF001
        memo.clear()
    try:
        key = repr(selection)  # the choice file is keyed by the selection (a sync's `stamp_key`)
        return selection_cache.choose(lock, target=target, selection=selection, selection_key=key, cache_dir=cache)
    except (ValueError, CorralError, UndefinedComparison, UndefinedEnvironmentName) as err:
        return err


@pytest.mark.parametrize("seed", [8, 9])
def test_bent_locks_whose_packages_were_read_before_choose_what_the_general_path_chooses(
    seed: int, tmp_path: Path
) -> None:
    """The selection cache keeps each package's row by its text's digest: a bent lock is the general path's choice.

    The original lock is chosen from first (its packages' rows kept), then each bent text: a package whose text
    changed is read again, so every refusal of the general path holds, and every answer is its answer.
    """
    locks = _Locks(seed)
    rng = random.Random(seed)  # noqa: S311 - seeded test data
    lock = tmp_path / "project" / "pylock.toml"
    lock.parent.mkdir()
    cache = tmp_path / "cache" / "lock-choices"
    target, _ = TARGETS[0]  # this machine's platforms: `choose` ranks the tags of the machine it runs on
    answered = refused = 0
    while refused < 40:  # bent locks the general path refuses, their originals chosen from
        original = locks.text()
        for selection in SELECTIONS[:4]:
            answer = _choose_through_cache(original, lock, cache, target, selection)
            if isinstance(answer, Exception) or selection_cache._LAST_PARSED:  # noqa: SLF001 - the general path's
                continue  # (a lock for another Python, two entries of one name...): the tests above compare its bends
            for text in _bends(original, rng):
                _choose_through_cache(original, lock, cache, target, selection)  # its rows kept: as a pull finds them
                fast = _choose_through_cache(text, lock, cache, target, selection)
                try:
                    slow: Any = select_packages(
                        tomllib.loads(text), target=target, selection=selection, lock_dir=lock.parent
                    )
                except (tomllib.TOMLDecodeError, ValueError, CorralError, UndefinedComparison) as err:
                    slow = err
                if isinstance(slow, Exception):
                    assert isinstance(fast, Exception), f"the general path refuses ({slow}); the cache chose {fast}"
                    refused += 1
                else:
                    assert fast == slow, f"{selection}:\n{text}"
                    answered += 1
    assert answered
