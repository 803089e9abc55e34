"""Human and JSON output. Data goes to stdout, messages to stderr; `-q` silences messages."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from importlib.abc import Loader
    from importlib.machinery import ModuleSpec
    from logging import LogRecord
    from types import ModuleType

    from corral.render.progress import Progress

__all__ = ["JSON_SCHEMA_VERSION", "Output", "error_code", "one_line", "split_fix", "terminal_safe"]

JSON_SCHEMA_VERSION = "1"
_CONTROL = {c: f"\\x{c:02x}" for c in range(32)} | {10: "\\n", 13: "\\r", 9: "\\t", 127: "\\x7f"}


# What may reach a terminal from data corral did not write (package names from an env's METADATA, paths, file
# contents): every C0/C1 control character but newline and tab is shown escaped, so no escape sequence from a
# repository or a wheel can retitle, clear or recolour the user's terminal.
_TERMINAL = {c: f"\\x{c:02x}" for c in (*range(32), 127, *range(0x80, 0xA0)) if c not in (9, 10)}


def terminal_safe(text: str) -> str:
    """`text` with every control character but newline and tab escaped (see _TERMINAL)."""
    return text.translate(_TERMINAL) if any(ord(c) in _TERMINAL for c in text) else text


def one_line(text: str) -> str:
    """`text` with control characters (a newline in a path, say) shown escaped, so an error stays one line."""
    return text.translate(_CONTROL) if any(ord(c) in _CONTROL for c in text) else text


class Output:
    """Writes results for people (tables, lines) or machines (a versioned JSON envelope)."""

    def __init__(
        self, *, quiet: bool = False, verbose: int = 0, stdout: TextIO | None = None, stderr: TextIO | None = None
    ) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr

    def line(self, text: str = "") -> None:
        """A line of data on stdout."""
        self.stdout.write(terminal_safe(text) + "\n")

    def info(self, text: str) -> None:
        """A progress or status message (stderr; hidden by -q)."""
        if not self.quiet:
            self.stderr.write(terminal_safe(text) + "\n")

    def debug(self, text: str) -> None:
        """A message shown only with -v."""
        if self.verbose:
            self.stderr.write(f"debug: {terminal_safe(text)}\n")

    def warn(self, text: str) -> None:
        """A warning (stderr, shown even with -q)."""
        self.stderr.write(f"warning: {terminal_safe(text)}\n")

    def error(self, text: str) -> None:
        """An error line (stderr)."""
        self.stderr.write(f"error: {one_line(text)}\n")

    def json(self, command: str, data: Any, *, status: str = "success", messages: Sequence[str] = ()) -> None:  # noqa: ANN401
        """The JSON envelope: {"corral_json": "1", "command", "ok", "status", "data", "messages"} (README: JSON)."""
        payload = {
            "corral_json": JSON_SCHEMA_VERSION,
            "command": command,
            "ok": status == "success",
            "status": status,
            "data": data,
            "messages": list(messages),
        }
        self.stdout.write(json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n")

    def json_error(self, command: str, *, code: str, message: str, exit_code: int) -> None:
        """The envelope of a command that failed: `ok: false`, `data: null` and `error` {code, message, fix}."""
        text, fix = split_fix(message)
        payload = {
            "corral_json": JSON_SCHEMA_VERSION,
            "command": command,
            "ok": False,
            "status": "error",
            "data": None,
            "messages": [],
            "error": {"code": code, "message": text, "fix": fix, "exit_code": exit_code},
        }
        self.stdout.write(json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n")

    def progress(self, *, separator: str = ": ") -> Progress:
        """A `progress(stage, detail)` for a service; `with` it: a live line on a terminal (render.progress)."""
        from corral.render.progress import Progress

        return Progress(self.stderr, quiet=self.quiet, separator=separator)

    def table(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        title: str | None = None,
        footer: str | None = None,
    ) -> None:
        """A table sized to the terminal (rich when on a terminal, aligned text otherwise).

        No cell is ever cut: a value wider than its column folds onto the next line whole (paths are what people
        copy). NO_COLOR (https://no-color.org) or TERM=dumb: no escape sequence at all.
        """
        rows = [[terminal_safe(v) for v in row] for row in rows]
        if self.stdout.isatty():
            import os

            from rich import box
            from rich.console import Console
            from rich.markup import escape
            from rich.table import Table

            plain = bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM", "") == "dumb"
            table = Table(
                title=title, caption=footer, show_lines=False, header_style="" if plain else "bold", box=box.SIMPLE_HEAD
            )
            for i, column in enumerate(columns):
                values = [row[i] for row in rows if i < len(row)]
                path = any(v.startswith(("/", "~", "\\")) or v[1:3] in {":\\", ":/"} for v in values)
                # a path is never broken; other text wraps between words, never inside one
                words = [len(v) for v in values] if path else [len(w) for v in values for w in v.split()]
                table.add_column(column, no_wrap=path, min_width=max([len(column), *words]))
            for row in rows:
                table.add_row(*(escape(v) for v in row))  # data is never rich markup
            console = Console(file=self.stdout, color_system=None if plain else "auto", highlight=False)
            # wider than the terminal: the terminal wraps the lines, and a copied path is still one piece
            unbounded = console.options.update_width(1 << 14)
            console.width = max(console.width, console.measure(table, options=unbounded).minimum)
            console.print(table)
            return
        widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]
        if title:
            self.line(title)
        self.line("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip())  # noqa: B905 - same length; strict= is 3.10+
        for row in rows:
            self.line("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())  # noqa: B905 - as above
        if footer:
            self.line(footer)


def error_code(err: BaseException) -> str:
    """A stable code: the nearest class of errors.py's tree in kebab case (InterpreterNotFound: interpreter-not-found).

    Beyond that tree: interrupted, os-error, internal-error (and usage-error for a command line argparse refused).
    """
    from corral import errors

    if isinstance(err, KeyboardInterrupt):
        return "interrupted"
    if not isinstance(err, errors.CorralError):
        return "os-error" if isinstance(err, OSError) else "internal-error"
    name = next(k.__name__ for k in type(err).__mro__ if k.__name__ in errors.__all__ or k is errors.CorralError)
    return "".join(f"-{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def split_fix(message: str) -> tuple[str, str | None]:
    """(what happened, the next step): corral's messages name the next step after their last `; ` outside brackets."""
    depth, cut = 0, -1
    for i, char in enumerate(message):
        depth += (char in "([{") - (char in ")]}")
        if depth == 0 and message.startswith("; ", i):
            cut = i
    return (message[:cut], message[cut + 2 :]) if 0 < cut < len(message) - 2 else (message, None)


def attach_logging(out: Output) -> None:
    """Send warnings logged under `corral.*` (and debug detail at -v) to `out`.

    The everyday paths (sync, run, add) log nothing and `logging` costs ~2 ms to import: until something imports
    it, a finder at the head of `sys.meta_path` waits for that import and attaches the handler as it completes.
    """
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, _AttachOnImport)]
    logging = sys.modules.get("logging")
    if logging is None:
        sys.meta_path.insert(0, _AttachOnImport(out))
    else:
        _attach(out, logging)


def _attach(out: Output, logging: ModuleType) -> None:
    class _ToOutput(logging.Handler):  # type: ignore[name-defined,misc]
        def emit(self, record: LogRecord) -> None:
            text = record.getMessage()
            if record.levelno >= logging.WARNING:
                out.warn(text)
            else:
                out.debug(text)

    logger = logging.getLogger("corral")
    logger.handlers[:] = [_ToOutput()]
    logger.setLevel(logging.DEBUG if out.verbose else logging.WARNING)
    logger.propagate = False


class _AttachOnImport:
    """A meta-path finder that finds nothing itself, but attaches the handler once `logging` is imported.

    The finders after it find and run `logging`; it leaves `sys.meta_path` then, and the module's spec and
    loader are the real ones.
    """

    def __init__(self, out: Output) -> None:
        self.out = out

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> ModuleSpec | None:
        """None for every module but `logging`; for it, the spec the next finders give, run through `_ThenAttach`."""
        if name != "logging":
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if find is not None else None
            if spec is not None and spec.loader is not None:
                spec.loader = _ThenAttach(spec.loader, self.out)
                return spec  # type: ignore[no-any-return]
        return None


class _ThenAttach:
    """The loader of `logging`, then `_attach`; puts the real loader back in the module's spec as it runs it."""

    def __init__(self, loader: Loader, out: Output) -> None:
        self.loader = loader
        self.out = out

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        """What the real loader creates."""
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        """Run the module, then attach the handler."""
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        module.__loader__ = self.loader
        self.loader.exec_module(module)
        _attach(self.out, module)


def human_size(size: int | None) -> str:
    """1.2 MB style."""
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":  # noqa: PLR2004
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"
