"""The `pyvenv.cfg` file that marks a PEP 405 environment."""

from __future__ import annotations

from corral.core.frozen import Frozen

__all__ = ["PyvenvCfg"]


class PyvenvCfg(Frozen):
    """Key/value pairs of pyvenv.cfg, in file order (keys lower-cased as `site.py` reads them)."""

    __slots__ = ("values",)
    values: dict[str, str]

    def __init__(self, values: dict[str, str] | None = None) -> None:
        """The pairs (a plain class, not a dataclass: `core.frozen`)."""
        self._set(values={} if values is None else values)

    @classmethod
    def parse(cls, text: str) -> PyvenvCfg:
        """Parse like CPython's `site.venv()`: `key = value` lines, others ignored."""
        values: dict[str, str] = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip():
                values[key.strip().lower()] = value.strip()
        return cls(values)

    @staticmethod
    def odd_lines(text: str) -> list[tuple[int, str]]:
        """(1-based number, stripped text) of each line `parse` skips that is neither blank nor a `#` comment."""
        odd: list[tuple[int, str]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            key, sep, _ = line.partition("=")
            if not sep or not key.strip():
                odd.append((number, stripped))
        return odd

    def render(self) -> str:
        """Text for writing back; UnsafeText when a key or value would add a line of its own."""
        from corral.core.safe_text import reject_control_chars

        for key, value in self.values.items():
            reject_control_chars(
                f"{key} = {value}", "pyvenv.cfg line", "pyvenv.cfg", fix="recreate the env (corral recreate)"
            )
        return "".join(f"{k} = {v}\n" for k, v in self.values.items())

    @property
    def home(self) -> str | None:
        """Folder of the base interpreter."""
        return self.values.get("home")

    @property
    def version(self) -> str | None:
        """Base interpreter version as recorded (`version_info`, `version` or virtualenv's key)."""
        return self.values.get("version_info") or self.values.get("version")

    @property
    def system_site_packages(self) -> bool:
        """Whether the base interpreter's site-packages are visible."""
        return self.values.get("include-system-site-packages", "false").lower() == "true"

    @property
    def creator(self) -> str:
        """Which tool wrote the env, as far as pyvenv.cfg tells."""
        if "uv" in self.values:
            return f"uv {self.values['uv']}"
        if "virtualenv" in self.values:
            return f"virtualenv {self.values['virtualenv']}"
        return "venv"
