"""Python interpreter requests: "3.12", "3", ">=3.9,<3.12", "cpython@3.11", "pypy3.10", "2.7", a path."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from corral.core.frozen import Frozen
from corral.errors import InvalidSpec

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

    from corral.core.interpreter import InterpreterInfo

__all__ = ["PythonSpec"]

_IMPLEMENTATIONS = {
    "cpython": "CPython",
    "cp": "CPython",
    "python": "CPython",
    "py": "CPython",
    "pypy": "PyPy",
    "graalpy": "GraalVM",
}
_PREFIX = re.compile(r"^(?P<version>\d+(?:\.\d+){0,2})(?P<ft>t)?$")
_NAMED = re.compile(r"^(?P<impl>cpython|pypy|graalpy|python|cp|py)[@-]?(?P<rest>.*)$", re.IGNORECASE)
_COMPACT = re.compile(r"^(?P<major>\d)(?P<minor>\d{1,2})(?P<ft>t)?$")  # cp312 / py311


class PythonSpec(Frozen):
    """A parsed interpreter request; `matches()` decides if an interpreter satisfies it."""

    __slots__ = ("free_threaded", "implementation", "path", "specifier", "text", "version_prefix")
    text: str
    path: str | None
    implementation: str | None
    version_prefix: tuple[int, ...]
    specifier: str | None
    free_threaded: bool | None

    def __init__(
        self,
        *,
        text: str,
        path: str | None = None,
        implementation: str | None = None,
        version_prefix: tuple[int, ...] = (),
        specifier: str | None = None,
        free_threaded: bool | None = None,
    ) -> None:
        """The fields by name (a plain class, not a dataclass: `core.frozen`)."""
        self._set(
            text=text,
            path=path,
            implementation=implementation,
            version_prefix=version_prefix,
            specifier=specifier,
            free_threaded=free_threaded,
        )

    @classmethod
    def parse(cls, text: str) -> PythonSpec:
        """Parse a user's spec; raise InvalidSpec with the accepted forms when it does not parse."""
        raw = text.strip()
        if not raw:
            raise InvalidSpec(_bad(text))
        if "/" in raw or "\\" in raw or raw.startswith(("~", ".")):
            return cls(text=raw, path=raw)
        impl: str | None = None
        rest = raw
        named = _NAMED.match(raw)
        if named and not raw[0].isdigit():
            impl = _IMPLEMENTATIONS[named["impl"].lower()]
            rest = named["rest"]
            if not rest:
                return cls(text=raw, implementation=impl)
            compact = _COMPACT.match(rest)
            if compact and named["impl"].lower() in {"cp", "py"}:
                ft = True if compact["ft"] else None
                return cls(
                    text=raw,
                    implementation=impl,
                    version_prefix=(int(compact["major"]), int(compact["minor"])),
                    free_threaded=ft,
                )
        prefix = _PREFIX.match(rest)
        if prefix:
            version = tuple(int(p) for p in prefix["version"].split("."))
            return cls(
                text=raw, implementation=impl, version_prefix=version, free_threaded=True if prefix["ft"] else None
            )
        if rest[:1] in "<>=!~":
            _specifier(rest, text)
            return cls(text=raw, implementation=impl, specifier=rest)
        raise InvalidSpec(_bad(text))

    def matches(self, info: InterpreterInfo) -> bool:
        """True when `info` satisfies this spec (path specs are matched by the finder, not here)."""
        if self.implementation and info.implementation.lower() != self.implementation.lower():
            return False
        if self.free_threaded is not None and info.free_threaded != self.free_threaded:
            return False
        if self.version_prefix and info.version_info[: len(self.version_prefix)] != self.version_prefix:
            return False
        if self.specifier is not None:
            return _specifier(self.specifier, self.text).contains(info.version, prereleases=True)
        return True

    def __str__(self) -> str:
        return self.text


def _specifier(value: str, original: str) -> SpecifierSet:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(value)
    except InvalidSpecifier as err:
        raise InvalidSpec(_bad(original)) from err


def _bad(text: str) -> str:
    return (
        f"not a Python spec: {text!r}; use a version (3.12, 3, 2.7), a range ('>=3.9,<3.12'), "
        "an implementation (cpython@3.11, pypy3.10) or a path to an interpreter"
    )
