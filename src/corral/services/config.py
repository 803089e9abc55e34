"""Effective settings and where each value came from.

Precedence, highest first: command-line flag, `CORRAL_<NAME>` environment variable, the project's
`[tool.corral]`, the project's `[tool.uv]` (only `default-groups`, which uv and corral mean alike), the user
config file (`<config dir>/config.toml`), the built-in default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, overload

from corral.core.frozen import Frozen
from corral.core.safe_text import NAME_RE, reject_control_chars
from corral.errors import ConfigError
from corral.infra.toml_file import read_toml
from corral.plugins import CREATORS, ENGINES, default_engine, one_of

__all__ = [
    "SETTINGS",
    "BoolSetting",
    "ListSetting",
    "OptionalStrSetting",
    "Setting",
    "Settings",
    "StrSetting",
    "Value",
    "checked_file_value",
    "neutral_prompt",
    "unsafe_prompt_char",
    "uv_settings",
]

# What a prompt may hold besides letters and digits (any script's, `str.isalnum`): the creators paste it unescaped
# into bin/activate* (bash and zsh between double quotes, then into PS1, which both expand again at every prompt;
# csh, fish and nu between single quotes; PowerShell, batch, activate_this.py...). None of these characters means
# anything in any of them. `services.activation.env_prompt` keeps the same ones.
PROMPT_CHARS = "._-+@:,/()[] "


class Setting(Frozen):
    """A known setting: its name in TOML, its type and default, and what it does."""

    __slots__ = ("default", "help", "kind", "name")
    name: str
    kind: type
    default: Any
    help: str

    def __init__(self, name: str, kind: type, default: Any, help: str) -> None:  # noqa: A002, ANN401 - the field's name; any default
        """The fields (a plain class, not a dataclass: `core.frozen`)."""
        self._set(name=name, kind=kind, default=default, help=help)

    @property
    def env_var(self) -> str:
        """CORRAL_<NAME> with dashes as underscores."""
        return "CORRAL_" + self.name.upper().replace("-", "_")


SETTINGS: tuple[Setting, ...] = (
    Setting("python", str, None, "interpreter spec used when --python is not given"),
    Setting("creator", str, None, f"env creator: {one_of(CREATORS)} (default: best for the interpreter)"),
    Setting("engine", str, default_engine(), f"installer engine: {one_of(ENGINES)}"),
    Setting("venv-dir", str, ".venv", "the project's env folder, relative to the project root"),
    Setting("seed", bool, True, "install pip into new envs"),
    Setting("system-site-packages", bool, False, "let the env see the base interpreter's site-packages"),
    Setting("prompt", str, None, "prompt name shown while the env is active"),
    Setting("index-url", str, None, "package index (PEP 503 simple API)"),
    Setting("extra-index-urls", list, [], "further package indexes"),
    Setting("default-groups", list, ["dev"], "dependency groups a plain sync installs"),
    Setting("legacy-notice", bool, True, "print the end-of-life notice on legacy (2.7/3.6/3.7) envs"),
    Setting("name-check", bool, True, "`corral init` asks the package index (one request) whether the name is taken"),
)
_BY_NAME = {s.name: s for s in SETTINGS}
# The names by the type of their value, for `Settings.value` (tests/unit/test_config.py keeps them in step).
BoolSetting = Literal["seed", "system-site-packages", "legacy-notice", "name-check"]
StrSetting = Literal["engine", "venv-dir"]  # a default, so never None
OptionalStrSetting = Literal["python", "creator", "prompt", "index-url"]
ListSetting = Literal["extra-index-urls", "default-groups"]
# Settings with a closed set of values: the names in a plugin table (read when checked, so a new row counts).
_CHOICES: dict[str, Mapping[str, object]] = {"engine": ENGINES, "creator": CREATORS}
_INDEX_SCHEMES = ("https://", "http://", "file://")


class Value(Frozen):
    """A setting's effective value and its origin (flag, env, project, user, default).

    `from_project` is True when a project file set it (`[tool.corral]`, `[tool.uv]`): untrusted input, which may
    not name what the user's own flag, environment or config file may (a program to run, a folder outside).
    """

    __slots__ = ("from_project", "source", "value")
    value: Any
    source: str
    from_project: bool

    def __init__(self, value: Any, source: str, from_project: bool = False) -> None:  # noqa: ANN401 - any value
        """The fields (a plain class, not a dataclass: `core.frozen`)."""
        self._set(value=value, source=source, from_project=from_project)


class Settings:
    """Resolve settings through the four layers."""

    def __init__(
        self,
        *,
        flags: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        project_table: Mapping[str, Any] | None = None,
        project_file: Path | None = None,
        user_file: Path | None = None,
        uv_table: Mapping[str, Any] | None = None,
    ) -> None:
        """`uv_table`: what the project's `[tool.uv]` says that corral honours (`uv_settings()` reads it)."""
        self._flags = {k: v for k, v in (flags or {}).items() if v is not None}
        self._environ = os.environ if environ is None else environ
        self._project = dict(project_table or {})
        self._project_file = project_file
        self._uv = dict(uv_table or {})
        self._user_file = user_file
        self._user, self._user_table = self._read_user(user_file)

    def validate(self) -> None:
        """Check every setting now (ConfigError naming file and key), so a command fails before it changes anything."""
        self.effective()

    @staticmethod
    def _read_user(path: Path | None) -> tuple[dict[str, Any], bool]:
        """The user config's settings, and whether they are in a `[corral]` table (else at its top level)."""
        if path is None or not path.is_file():
            return {}, False
        data = read_toml(path)
        table = data.get("corral", data)
        return (dict(table) if isinstance(table, dict) else {}), "corral" in data

    def get(self, name: str, given: object = None) -> Value:
        """The effective value of `name`, validated against its declared type.

        `given`: a service's argument for it (what its caller's command line said), which ranks as a flag does;
        None when not given. The CLI fills the flags; a library caller passes the argument.
        """
        setting = _BY_NAME[name]
        if given is not None or name in self._flags:
            flag = "--" + setting.name
            return Value(_valid(setting, self._flags[name] if given is None else given, flag), "command line")
        if setting.env_var in self._environ:
            where = setting.env_var
            return Value(
                _valid(setting, _from_env(setting, self._environ[setting.env_var]), where), f"env {setting.env_var}"
            )
        if name in self._project:
            return Value(
                checked_file_value(name, self._project[name], self._project_file),
                str(self._project_file),
                from_project=True,
            )
        if name in self._uv:  # checked by uv_settings()
            return Value(self._uv[name], f"{self._project_file} [tool.uv]", from_project=True)
        if name in self._user:
            where = "[corral] " if self._user_table else ""
            return Value(checked_file_value(name, self._user[name], self._user_file, table=where), str(self._user_file))
        return Value(setting.default, "default")

    @overload
    def value(self, name: BoolSetting, given: bool | None = None) -> bool: ...
    @overload
    def value(self, name: StrSetting, given: str | None = None) -> str: ...
    @overload
    def value(self, name: OptionalStrSetting, given: str | None = None) -> str | None: ...
    @overload
    def value(self, name: ListSetting, given: list[str] | None = None) -> list[str]: ...
    def value(self, name: str, given: object = None) -> object:
        """get(name, given).value, typed by the setting's kind (its `Setting.kind`, checked when it was read)."""
        return self.get(name, given).value

    def effective(self) -> dict[str, Value]:
        """Every known setting."""
        return {s.name: self.get(s.name) for s in SETTINGS}

    def unknown_keys(self) -> list[str]:
        """Keys in the project or user tables that corral does not know (likely typos)."""
        return sorted((set(self._project) | set(self._user)) - set(_BY_NAME))


def _from_env(setting: Setting, raw: str) -> Any:  # noqa: ANN401 - see Settings.value
    if setting.kind is bool:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        msg = f"{setting.env_var}={raw!r} is not a boolean; use 1/0, true/false, yes/no"
        raise ConfigError(msg)
    if setting.kind is list:
        return [part for part in raw.replace(",", " ").split() if part]
    return _one_of(setting, raw, setting.env_var)


def _checked(setting: Setting, value: Any, origin: Path | None) -> Any:  # noqa: ANN401 - see Settings.value
    ok = isinstance(value, setting.kind) and not (setting.kind is not bool and isinstance(value, bool))
    if setting.kind is list and ok:
        ok = all(isinstance(v, str) for v in value)
    if not ok:
        want = {str: "a string", bool: "true or false", list: "a list of strings"}[setting.kind]
        msg = f"{origin}: [tool.corral] {setting.name} must be {want}, not {value!r}"
        raise ConfigError(msg)
    return _one_of(setting, value, f"{origin}: [tool.corral] {setting.name}")


def _one_of(setting: Setting, value: Any, where: str) -> Any:  # noqa: ANN401 - see Settings.value
    choices = list(_CHOICES.get(setting.name, ()))
    if choices and value not in choices:
        msg = f"{where} is {value!r}; use one of {', '.join(choices)}"
        raise ConfigError(msg)
    return value


def checked_file_value(
    name: str,
    value: Any,  # noqa: ANN401 - see Settings.value
    origin: Path | None,
    *,
    table: str = "[tool.corral] ",
) -> Any:  # noqa: ANN401 - see Settings.value
    """`value` of setting `name` read from `origin`'s `table`, checked as Settings checks it (ConfigError).

    `table`: how a message names where the key is, before its name ("" for the user config's own keys).
    """
    setting = _BY_NAME[name]
    return _valid(setting, _checked(setting, value, origin), f"{origin}: {table}{name}")


def uv_settings(data: Mapping[str, Any], origin: Path | None) -> dict[str, Any]:
    """The settings a parsed pyproject states in `[tool.uv]` that corral honours: `default-groups` (a list, or "all").

    uv means by it what corral means by `[tool.corral] default-groups` (click and flask set it), so a project moved
    from uv keeps its plain sync. "all" becomes every group of `[dependency-groups]`. ConfigError on a bad value.
    """
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, Mapping) else None
    if not isinstance(uv, Mapping) or "default-groups" not in uv:
        return {}
    value = uv["default-groups"]
    where = f"{origin}: [tool.uv] default-groups"
    if value == "all":
        groups = data.get("dependency-groups")
        value = [str(g) for g in groups] if isinstance(groups, Mapping) else []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        msg = f'{where} must be a list of group names or "all", not {value!r}'
        raise ConfigError(msg)
    return {"default-groups": _valid(_BY_NAME["default-groups"], value, where)}


def _valid(setting: Setting, value: Any, where: str) -> Any:  # noqa: ANN401 - see Settings.value
    """The value checked beyond its type: no control characters, well-formed URLs and group names."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, str):
            continue
        reject_control_chars(item, f"{setting.name} value", where, fix=f"set {setting.name} without it")
        if setting.name in {"index-url", "extra-index-urls"} and not _index_ok(item):
            msg = (
                f"{where}: {item!r} is not a package index URL; use an https://, http:// or file:// URL "
                "(or an absolute path) without spaces"
            )
            raise ConfigError(msg)
        if setting.name == "default-groups" and not NAME_RE.match(item):
            msg = (
                f"{where}: {item!r} is not a dependency group name (letters, digits and - _ . only); "
                "name groups defined in [dependency-groups]"
            )
            raise ConfigError(msg)
        if setting.name == "prompt":
            _check_prompt(item, where)
        if setting.name in {"python", "venv-dir"} and not item.strip():
            msg = f"{where}: {setting.name} is empty; give a value or remove the setting"
            raise ConfigError(msg)
    return value


def _prompt_safe(char: str) -> bool:
    """True for what no shell runs or expands in a prompt.

    A letter or digit (any script), a combining mark (`cafe\u0301`, as macOS spells folder names) or PROMPT_CHARS.
    """
    if char.isalnum() or char in PROMPT_CHARS:
        return True
    import unicodedata

    return unicodedata.category(char) in {"Mn", "Mc"}


def unsafe_prompt_char(prompt: str) -> str | None:
    """The first character of `prompt` that an activation script could run or expand, None when it has none."""
    return next((c for c in prompt if not _prompt_safe(c)), None)


def neutral_prompt(name: str) -> str:
    """`name` (a folder's, a project's) with every character `unsafe_prompt_char` would name turned into `_`."""
    return "".join(c if _prompt_safe(c) else "_" for c in name)


def _check_prompt(prompt: str, where: str) -> None:
    """ConfigError naming `where` when `prompt` holds a character an activation script could run or expand."""
    char = unsafe_prompt_char(prompt)
    if char is None or prompt == ".":  # "." asks for the folder's name (services.create neutralises it)
        return
    msg = (
        f"{where}: the prompt {prompt!r} holds {char!r}, which a shell's activation script (bin/activate*) could "
        f"run or expand; a prompt may hold letters, digits, spaces and {' '.join(PROMPT_CHARS.strip())} "
        '(or be "." for the folder\'s name): set prompt without it'
    )
    raise ConfigError(msg)


def _index_ok(url: str) -> bool:
    if not url or any(c.isspace() for c in url):
        return False
    return url.lower().startswith(_INDEX_SCHEMES) or os.path.isabs(url)
