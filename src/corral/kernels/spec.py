"""The kernelspec (`kernel.json`) corral writes: the same shape as `python -m ipykernel install`, plus a corral key."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from corral.core.frozen import Frozen
from corral.core.names import normalize_name
from corral.errors import UsageError

__all__ = [
    "KERNEL_JSON",
    "LOGO_FILES",
    "NAME_RULE",
    "KernelSpec",
    "build_spec",
    "default_display_name",
    "default_name",
    "is_valid_name",
    "kernel_argv",
    "logo_files",
    "refreshed_argv",
    "retitled",
    "stale_argv",
    "validate_name",
]

KERNEL_JSON = "kernel.json"
LOGO_FILES = ("logo-32x32.png", "logo-64x64.png", "logo-svg.svg")
NAME_RULE = "kernel names may only hold lower-case ASCII letters, digits and the separators - . _"
_NAME = re.compile(r"^[a-z0-9._-]+$")
_KNOWN_KEYS = ("argv", "display_name", "language", "interrupt_mode", "env", "metadata")
_VERSIONED_TITLE = re.compile(r"^Python \d+\.\d+(?= |$)")
_FROZEN_OFF = "-Xfrozen_modules=off"  # ipykernel's spec on Python 3.11+: its debugger needs the modules unfrozen


def is_valid_name(name: str) -> bool:
    """Jupyter's rule (jupyter_client `_is_valid_kernel_name`), after lower-casing."""
    return bool(_NAME.match(name.lower()))


def validate_name(name: str) -> str:
    """The kernel name lower-cased (as ipykernel does); UsageError naming the rule when it breaks it."""
    lowered = name.strip().lower()
    if not lowered or not _NAME.match(lowered):
        msg = f"invalid kernel name {name!r}: {NAME_RULE}; for example --name my-project"
        raise UsageError(msg)
    return lowered


def default_name(project_name: str) -> str:
    """The project name normalised (PEP 503) and cleaned to a valid kernel name."""
    normal = normalize_name(project_name)
    cleaned = re.sub(r"[^a-z0-9._-]+", "-", normal).strip("-.")
    return cleaned or "python"


def default_display_name(project_name: str, version: tuple[int, ...] | None) -> str:
    """What the notebook UI shows: "Python 3.12 (myproject)"."""
    ver = f" {version[0]}.{version[1]}" if version and len(version) >= 2 else ""  # noqa: PLR2004
    return f"Python{ver} ({project_name})"


def retitled(display_name: str, version: tuple[int, ...] | None) -> str:
    """`display_name` naming `version` when it starts "Python X.Y" (corral's default and ipykernel's); else as is."""
    if version is None or len(version) < 2:  # noqa: PLR2004
        return display_name
    return _VERSIONED_TITLE.sub(f"Python {version[0]}.{version[1]}", display_name, count=1)


def kernel_argv(python: str, version: tuple[int, ...] | None) -> list[str]:
    """Ipykernel's argv: the env's python (absolute, unresolved), `-Xfrozen_modules=off` on 3.11+ for the debugger."""
    flag = [_FROZEN_OFF] if _wants_frozen_off(version) else []
    return [python, *flag, "-m", "ipykernel_launcher", "-f", "{connection_file}"]


def refreshed_argv(argv: tuple[str, ...], python: str, version: tuple[int, ...] | None) -> list[str]:
    """`argv` starting `python`, with `-Xfrozen_modules=off` exactly when the version is 3.11+; the rest kept."""
    rest = [a for a in argv[1:] if a != _FROZEN_OFF]
    return [python, *([_FROZEN_OFF] if _wants_frozen_off(version) else []), *rest]


def stale_argv(argv: tuple[str, ...], python: str, version: tuple[int, ...] | None) -> str | None:
    """How `argv` differs from `refreshed_argv`'s, as a phrase after "the kernel starts"; None when it does not.

    The interpreter first (another one than `python`), else the debugger's flag, else the whole command line.
    """
    wanted = refreshed_argv(argv, python, version)
    if wanted == list(argv):
        return None
    if not argv or argv[0] != python:
        return f"{argv[0] if argv else 'nothing'}, not this env's {python}"
    has, needs = _FROZEN_OFF in argv[1:], _wants_frozen_off(version)
    if needs and not has:
        return f"this env's {python} without {_FROZEN_OFF}, which ipykernel's debugger needs on Python 3.11+"
    if has and not needs:
        shown = ".".join(map(str, version[:2])) if version else "an unknown version"
        return f"this env's {python} with {_FROZEN_OFF}, an option of Python 3.11+ (this env runs {shown})"
    return f"this env's {python} as `{' '.join(argv)}`, not `{' '.join(wanted)}`"


def _wants_frozen_off(version: tuple[int, ...] | None) -> bool:
    return version is not None and tuple(version[:2]) >= (3, 11)


class KernelSpec(Frozen):
    """A kernel.json; keys corral does not model are kept verbatim in `extra`."""

    __slots__ = ("argv", "display_name", "env", "extra", "interrupt_mode", "language", "metadata")
    argv: tuple[str, ...]
    display_name: str
    language: str
    interrupt_mode: str | None
    env: dict[str, str]
    metadata: dict[str, Any]
    extra: dict[str, Any]

    def __init__(
        self,
        *,
        argv: tuple[str, ...],
        display_name: str,
        language: str = "python",
        interrupt_mode: str | None = None,
        env: dict[str, str] | None = None,
        metadata: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self._set(
            argv=argv,
            display_name=display_name,
            language=language,
            interrupt_mode=interrupt_mode,
            env={} if env is None else env,
            metadata={} if metadata is None else metadata,
            extra={} if extra is None else extra,
        )

    @property
    def python(self) -> str | None:
        """argv[0] (the interpreter the kernel starts), when there is one."""
        return self.argv[0] if self.argv else None

    @property
    def corral(self) -> dict[str, Any] | None:
        """Corral's own record (`metadata.corral`: env, project), when corral wrote the spec."""
        value = self.metadata.get("corral")
        return value if isinstance(value, dict) else None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KernelSpec:
        """Read a parsed kernel.json; ValueError when it is not a kernelspec."""
        argv = data.get("argv")
        if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
            msg = "argv must be a list of strings"
            raise ValueError(msg)
        metadata = data.get("metadata") or {}
        env = data.get("env") or {}
        if not isinstance(metadata, dict) or not isinstance(env, dict):
            msg = "metadata and env must be objects"
            raise ValueError(msg)  # noqa: TRY004 - callers catch ValueError for any bad kernel.json
        return cls(
            argv=tuple(argv),
            display_name=str(data.get("display_name", "")),
            language=str(data.get("language", "")),
            interrupt_mode=data.get("interrupt_mode"),
            env={str(k): str(v) for k, v in env.items()},
            metadata=dict(metadata),
            extra={k: v for k, v in data.items() if k not in _KNOWN_KEYS},
        )

    @classmethod
    def from_file(cls, path: Path) -> KernelSpec:
        """Load a kernel.json; ValueError (with the reason) when it is unreadable or malformed."""
        from corral.errors import ConfigError
        from corral.infra.json_file import read_json_object

        try:
            data = read_json_object(path)
        except (OSError, ConfigError) as err:
            raise ValueError(str(err)) from err
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The kernel.json content, in ipykernel's key order."""
        data: dict[str, Any] = {"argv": list(self.argv), "display_name": self.display_name, "language": self.language}
        if self.interrupt_mode:
            data["interrupt_mode"] = self.interrupt_mode
        if self.env:
            data["env"] = dict(self.env)
        data["metadata"] = dict(self.metadata)
        data.update(self.extra)
        return data

    def render(self) -> str:
        """kernel.json text (indent 1, like jupyter_client)."""
        return json.dumps(self.to_dict(), indent=1) + "\n"

    def with_argv(self, argv: list[str], display_name: str | None = None) -> KernelSpec:
        """A copy with another argv (after a recreate or a Python upgrade), and display name when given."""
        return KernelSpec(
            argv=tuple(argv),
            display_name=display_name or self.display_name,
            language=self.language,
            interrupt_mode=self.interrupt_mode,
            env=dict(self.env),
            metadata=dict(self.metadata),
            extra=dict(self.extra),
        )


def build_spec(
    *, python: str, version: tuple[int, ...] | None, display_name: str, env_path: Path, project_root: Path | None
) -> KernelSpec:
    """The spec for an env's interpreter, with `metadata.corral` naming the env and project.

    The display name (from `--display-name` or the project's name) and the paths are shown by notebook UIs and
    passed to the kernel's command line: control characters are refused (UnsafeText).
    """
    from corral.core.safe_text import reject_control_chars

    reject_control_chars(
        display_name, "kernel display name", "kernel.json", fix="pass --display-name (or fix [project] name) without it"
    )
    reject_control_chars(python, "kernel interpreter path", "kernel.json")
    record: dict[str, Any] = {"env": str(env_path)}
    if project_root is not None:
        record["project"] = str(project_root)
    return KernelSpec(
        argv=tuple(kernel_argv(python, version)),
        display_name=display_name,
        metadata={"debugger": True, "corral": record},
    )


def logo_files(site_packages: list[Path]) -> list[Path]:
    """Ipykernel's logos (`ipykernel/resources/logo-*`) from the env, when installed there."""
    for site in site_packages:
        resources = site / "ipykernel" / "resources"
        found = [resources / n for n in LOGO_FILES if (resources / n).is_file()]
        if found:
            return found
    return []
