"""What corral knows about one Python interpreter."""

from __future__ import annotations

from collections.abc import Mapping

from corral.core.frozen import Frozen

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from typing import Any


__all__ = ["LEGACY_EOL", "InterpreterInfo"]

# End-of-life dates of the Pythons corral still serves as legacy zones.
LEGACY_EOL: dict[tuple[int, int], str] = {
    (2, 7): "2020-01-01",
    (3, 6): "2021-12-23",
    (3, 7): "2023-06-27",
}


class InterpreterInfo(Frozen):
    """An identified interpreter: what its own `sys`/`platform` said, plus where corral found it."""

    __slots__ = (
        "abiflags",
        "aliases",
        "base_prefix",
        "externally_managed",
        "free_threaded",
        "implementation",
        "is_venv",
        "machine",
        "marker_env",
        "path",
        "platform",
        "pointer_bits",
        "prefix",
        "purelib",
        "realpath",
        "soabi",
        "sources",
        "version",
        "version_info",
    )
    path: str
    realpath: str
    implementation: str
    version: str
    version_info: tuple[int, int, int]
    machine: str
    pointer_bits: int
    platform: str
    prefix: str
    base_prefix: str
    is_venv: bool
    free_threaded: bool
    externally_managed: bool
    purelib: str
    marker_env: Mapping[str, str]
    soabi: str
    abiflags: str
    sources: tuple[str, ...]
    aliases: tuple[str, ...]

    def __init__(
        self,
        *,
        path: str,
        realpath: str,
        implementation: str,
        version: str,
        version_info: tuple[int, int, int],
        machine: str,
        pointer_bits: int,
        platform: str,
        prefix: str,
        base_prefix: str,
        is_venv: bool = False,
        free_threaded: bool = False,
        externally_managed: bool = False,
        purelib: str = "",
        marker_env: Mapping[str, str] | None = None,
        soabi: str = "",
        abiflags: str = "",
        sources: tuple[str, ...] = (),
        aliases: tuple[str, ...] = (),
    ) -> None:
        """The fields by name (a plain class, not a dataclass: `core.frozen`)."""
        self._set(
            path=path,
            realpath=realpath,
            implementation=implementation,
            version=version,
            version_info=version_info,
            machine=machine,
            pointer_bits=pointer_bits,
            platform=platform,
            prefix=prefix,
            base_prefix=base_prefix,
            is_venv=is_venv,
            free_threaded=free_threaded,
            externally_managed=externally_managed,
            purelib=purelib,
            marker_env={} if marker_env is None else marker_env,
            soabi=soabi,
            abiflags=abiflags,
            sources=sources,
            aliases=aliases,
        )

    @classmethod
    def from_probe(cls, data: Mapping[str, Any], *, path: str, source: str = "") -> InterpreterInfo:
        """Build from the JSON printed by `infra/probe/probe_info.py`."""
        vi = data["version_info"]
        return cls(
            path=path,
            realpath=str(data["realpath"]),
            implementation=str(data["implementation"]),
            version=str(data["version"]),
            version_info=(int(vi[0]), int(vi[1]), int(vi[2])),
            machine=str(data.get("machine", "")),
            pointer_bits=int(data.get("pointer_bits", 64)),
            platform=str(data.get("platform", "")),
            prefix=str(data.get("prefix", "")),
            base_prefix=str(data.get("base_prefix", "")),
            is_venv=bool(data.get("is_venv", False)),
            free_threaded=bool(data.get("free_threaded", False)),
            externally_managed=bool(data.get("externally_managed", False)),
            purelib=str(data.get("purelib", "")),
            marker_env=dict(data.get("marker_env", {})),
            soabi=str(data.get("soabi") or ""),
            abiflags=str(data.get("abiflags") or ""),
            sources=(source,) if source else (),
        )

    @property
    def minor(self) -> tuple[int, int]:
        """(major, minor)."""
        return self.version_info[0], self.version_info[1]

    @property
    def short_version(self) -> str:
        """ "3.12" style."""
        return f"{self.version_info[0]}.{self.version_info[1]}"

    @property
    def key(self) -> str:
        """Short identity used in listings: cpython-3.12.1-x86_64."""
        flavour = "t" if self.free_threaded else ""
        return f"{self.implementation.lower()}-{self.version}{flavour}-{self.machine or 'unknown'}"

    @property
    def is_legacy(self) -> bool:
        """True for Pythons past end of life that corral serves as legacy zones (2.7, 3.6, 3.7)."""
        return self.minor in LEGACY_EOL or self.version_info[0] < 3  # noqa: PLR2004 - Python 2

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stable keys)."""
        return {
            "key": self.key,
            "implementation": self.implementation,
            "version": self.version,
            "architecture": self.machine,
            "pointer_bits": self.pointer_bits,
            "path": self.path,
            "realpath": self.realpath,
            "sources": list(self.sources),
            "aliases": list(self.aliases),
            "prefix": self.prefix,
            "free_threaded": self.free_threaded,
            "externally_managed": self.externally_managed,
            "legacy": self.is_legacy,
        }
