"""Create envs in-process: the layout `uv venv` writes, without starting uv or the target interpreter.

A PEP 405 env is a handful of folders, three links, a pyvenv.cfg and the activation scripts. Everything they
hold comes from what discovery already knows about the interpreter (`InterpreterInfo`), so writing them here
saves a process (~11-13 ms of `uv venv`). The files are uv's, byte for byte: the activation templates in
`uv_layout/` are uv's own (virtualenv's, MIT), filled in exactly as uv fills them, and pyvenv.cfg carries uv's
keys, including `uv = <the version of corral's uv>`: uv reads that key as "made without seed packages unless
`seed = true`", so `uv pip sync` removes a stray pip from this env exactly as from one `uv venv` made.

Only what is laid out exactly is served (`cannot_create` says why not otherwise): CPython 3.7+ on Linux, not
free-threaded, not itself a venv, not a python-build-standalone build (uv resolves those through its own link
rules), found at a path that is the interpreter itself (not a shim script). A seeded env (`seed=True`) and
settings that change what `uv venv` writes (`UV_PREVIEW*`, `UV_VENV_*`) are handed to the uv creator, which then
names itself in corral's record. The Windows layout (Scripts, Lib, the venv launcher copied as python.exe) is
planned here and unit-tested by name, but not served until it has been compared with uv on Windows.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from corral.core.frozen import Frozen

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from corral.core.interpreter import InterpreterInfo
    from corral.core.protocols import CreateRequest

__all__ = ["Layout", "NativeCreator", "env_path_literal", "plan_layout", "repair_activators"]

_TEMPLATES = Path(__file__).with_name("uv_layout")
# uv's activators, in the order uv writes them; `.in` marks the Python files (kept out of linters' sight).
_ACTIVATORS: tuple[tuple[str, str], ...] = (
    ("activate", "activate"),
    ("activate.csh", "activate.csh"),
    ("activate.fish", "activate.fish"),
    ("activate.nu", "activate.nu"),
    ("activate.xsh", "activate.xsh"),
    ("activate.ps1", "activate.ps1"),
    ("activate.bat", "activate.bat"),
    ("deactivate.bat", "deactivate.bat"),
    ("pydoc.bat", "pydoc.bat"),
    ("activate_this.py", "activate_this.py.in"),
)
# The activators that hold the env's path, and whose quoting `env_path_literal` writes it in.
_ACTIVATOR_SHELLS = {
    "activate": "sh",
    "activate.csh": "csh",
    "activate.fish": "fish",
    "activate.nu": "nu",
    "activate.bat": "bat",
}
_CACHEDIR_TAG = b"Signature: 8a477f597d28d172789f06886806bc55"
_OLDEST = (3, 7)
_NO_DISTUTILS_PATCH = (3, 10)  # uv writes _virtualenv.py/.pth (a distutils hook for old pips) below 3.10
# Environment variables that change what `uv venv` writes (a seed, a clear, preview layouts): uv serves them.
_UV_VENV_VARS = ("UV_PREVIEW", "UV_PREVIEW_FEATURES", "UV_VENV_SEED", "UV_VENV_CLEAR", "UV_VENV_RELOCATABLE")


class Layout(Frozen):
    """Everything an env holds, relative to its folder (`/`-separated), in the order it is written.

    `copies` (Windows only) are (name, candidate sources): the first source that exists is copied.
    """

    __slots__ = ("cfg", "copies", "dirs", "files", "links")
    dirs: tuple[str, ...]
    files: tuple[tuple[str, bytes], ...]
    links: tuple[tuple[str, str], ...]
    copies: tuple[tuple[str, tuple[str, ...]], ...]
    cfg: bytes

    def __init__(
        self,
        *,
        dirs: tuple[str, ...],
        files: tuple[tuple[str, bytes], ...],
        links: tuple[tuple[str, str], ...],
        copies: tuple[tuple[str, tuple[str, ...]], ...],
        cfg: bytes,
    ) -> None:
        """The fields by name (a plain class, not a dataclass: `core.frozen`)."""
        self._set(dirs=dirs, files=files, links=links, copies=copies, cfg=cfg)


def _posix_single_quotes(text: str) -> str:
    """The `escape_posix_for_single_quotes` of uv."""
    return text.replace("'", "'\"'\"'")


def env_path_literal(shell: str, location: str) -> str:
    """The env's path as a quoted word of `shell` ("sh", "csh", "fish", "nu" or "bat"), as its activator holds it.

    uv's own word wherever it reads back as `location` (so the scripts stay uv's byte for byte), a correct one where
    it does not: uv puts the POSIX single-quote escape in every script, which csh reads a `!` of as a history event,
    fish a backslash of as an escape, and nushell a `'` of as the string's end; cmd expands a `%` in activate.bat.
    """
    if shell == "bat":
        return location.replace("%", "%%")  # inside the script's own double quotes; a Windows path has no `"`
    uv_word = _uv_word(shell, location)
    if shell == "csh" and "!" in location:
        return uv_word.replace("!", "\\!")  # `\!` is a plain `!` to csh, even between single quotes
    if shell == "fish" and "\\" in location:
        return "'" + location.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if shell == "nu" and "'" in location:  # a nushell '...' has no escapes; "..." has backslash escapes only
        return '"' + location.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return uv_word


# Where each activator of uv holds the env's path: the text on either side of the quoted word on that line.
_PATH_LINES: tuple[tuple[str, str, str, str], ...] = (
    ("activate.csh", "csh", "setenv VIRTUAL_ENV ", ""),
    ("activate.fish", "fish", "set -gx VIRTUAL_ENV ", ""),
    ("activate.nu", "nu", "    const virtual_env = ", ""),
    ("activate.bat", "bat", '@for %%i in ("', '") do @set "VIRTUAL_ENV=%%~fi"'),
)
_MISQUOTED_BY_UV = frozenset("!\\'%")  # the characters some activator of uv spells wrongly (`env_path_literal`)


def repair_activators(env: Path, bin_name: str = "bin") -> None:
    """Rewrite the path line of the activators `uv venv` wrote into `env` where uv's quoting misreads the path.

    Nothing is read unless the env's path holds a character uv misquotes for some shell; a line is rewritten only
    when its word reads back as the env's own path (so a second pass, or a script that is not uv's, is left as it is).
    """
    from corral.infra.fs import atomic_write_bytes

    locations = {os.path.abspath(env), os.path.realpath(env)}
    if not any(_MISQUOTED_BY_UV.intersection(location) for location in locations):
        return
    for name, shell, head, tail in _PATH_LINES:
        path = Path(env, bin_name, name)
        try:
            lines = path.read_bytes().decode("utf-8").split("\n")
        except (OSError, UnicodeDecodeError):
            continue
        for i, line in enumerate(lines):
            body = line.rstrip("\r")
            if not (body.startswith(head) and body.endswith(tail)):
                continue
            word = body[len(head) : len(body) - len(tail)]
            location = next((loc for loc in locations if _uv_word(shell, loc) == word), None)
            if location is not None and env_path_literal(shell, location) != word:
                lines[i] = head + env_path_literal(shell, location) + tail + line[len(body) :]
                atomic_write_bytes(path, "\n".join(lines).encode("utf-8"))
            break


def _uv_word(shell: str, location: str) -> str:
    """The word `uv venv` writes for the env's path into the activator of `shell`."""
    return location if shell == "bat" else f"'{_posix_single_quotes(location)}'"


def _escape_ascii(data: bytes) -> str:
    """Rust's `<[u8]>::escape_ascii`, which uv uses for the prompt and bin name in activate.xsh."""
    named = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r", 0x5C: "\\\\", 0x27: "\\'", 0x22: '\\"'}
    out = []
    for byte in data:
        if byte in named:
            out.append(named[byte])
        elif 0x20 <= byte < 0x7F:  # noqa: PLR2004 - printable ASCII
            out.append(chr(byte))
        else:
            out.append(f"\\x{byte:02x}")
    return "".join(out)


def _python_literal_windows(text: str) -> str:
    """The `escape_path_for_python` of uv on Windows: a quoted str literal."""
    out = ['"']
    for char in text:
        if char.isascii():
            out.append(_escape_ascii(char.encode()))
        elif ord(char) <= 0x9F:  # noqa: PLR2004 - the C1 controls
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


@functools.cache
def _template(name: str) -> str:
    text = (_TEMPLATES / name).read_text(encoding="utf-8")
    return text.replace("\n", "\r\n") if name.endswith(".bat") else text  # uv's .bat templates are CRLF


def _activator(
    name: str, source: str, *, location: str, prompt: str, bin_name: str, relative: str, windows: bool
) -> bytes:
    sep = ";" if windows else ":"
    shell = _ACTIVATOR_SHELLS.get(name)
    virtual_env = "" if shell is None else env_path_literal(shell, location)
    shown_prompt = f'b"{_escape_ascii(prompt.encode())}".decode("utf-8")' if name == "activate.xsh" else prompt
    if name == "activate.xsh":
        shown_bin = (
            _python_literal_windows(bin_name)
            if windows
            else f'__import__("os").fsdecode(b"{_escape_ascii(os.fsencode(bin_name))}")'
        )
    else:
        shown_bin = bin_name
    text = (
        _template(source)
        .replace("'{{ VIRTUAL_ENV_DIR }}'", virtual_env)  # sh, csh, fish: the word replaces uv's quotes too
        .replace("{{ VIRTUAL_ENV_DIR }}", virtual_env)  # nu (a whole word), bat (between the script's quotes)
        .replace("{{ BIN_NAME }}", shown_bin)
        .replace("{{ VIRTUAL_PROMPT }}", shown_prompt)
        .replace("{{ PATH_SEP }}", sep)
        .replace("{{ RELATIVE_SITE_PACKAGES }}", relative)
    )
    return text.encode("utf-8")


def plan_layout(
    interpreter: InterpreterInfo,
    dest: str,
    *,
    prompt: str | None,
    system_site_packages: bool,
    uv_version: str,
    windows: bool = False,
) -> Layout:
    """What `uv venv DEST --python <interpreter.path> [--prompt P] [--system-site-packages]` writes.

    `dest` is the env's absolute path as uv would spell it; `windows` plans the Windows layout (a string plan:
    it runs anywhere, so the unit tests check it by name on every platform).
    """
    major, minor = interpreter.minor
    marker = interpreter.marker_env
    sep = "\\" if windows else "/"
    python = interpreter.path
    home = python.rsplit(sep, 1)[0] if sep in python else python
    if windows:
        bin_name, purelib = "Scripts", "Lib/site-packages"
        relative = "..\\\\Lib\\\\site-packages"
    else:
        bin_name, purelib = "bin", f"lib/python{major}.{minor}/site-packages"
        relative = f"../{purelib}"
    files: list[tuple[str, bytes]] = [("CACHEDIR.TAG", _CACHEDIR_TAG), (".gitignore", b"*")]
    for name, source in _ACTIVATORS:
        body = _activator(
            name, source, location=dest, prompt=prompt or "", bin_name=bin_name, relative=relative, windows=windows
        )
        files.append((f"{bin_name}/{name}", body))
    links: list[tuple[str, str]] = []
    copies: list[tuple[str, tuple[str, ...]]] = []
    if windows:
        nt = f"{interpreter.base_prefix}\\Lib\\venv\\scripts\\nt"
        copies.append((f"{bin_name}/python.exe", (f"{nt}\\python.exe", f"{nt}\\venvlauncher.exe")))
        copies.append((f"{bin_name}/pythonw.exe", (f"{nt}\\pythonw.exe", f"{nt}\\venvwlauncher.exe")))
    else:
        links += [
            (f"{bin_name}/python", python),
            (f"{bin_name}/python{major}", "python"),
            (f"{bin_name}/python{major}.{minor}", "python"),
        ]
        if interpreter.pointer_bits == 64 and marker.get("sys_platform", interpreter.platform) != "darwin":  # noqa: PLR2004
            links.append(("lib64", "lib"))
    cfg = [
        ("home", home),
        ("implementation", marker.get("platform_python_implementation", interpreter.implementation)),
        ("uv", uv_version),
        ("version_info", marker.get("python_full_version", interpreter.version)),
        ("include-system-site-packages", "true" if system_site_packages else "false"),
    ]
    if prompt:
        cfg.append(("prompt", prompt))
    if interpreter.version_info < (*_NO_DISTUTILS_PATCH, 0):
        files.append((f"{purelib}/_virtualenv.py", _template("_virtualenv.py.in").encode("utf-8")))
        files.append((f"{purelib}/_virtualenv.pth", b"import _virtualenv"))
    dirs = (bin_name, *_parents(purelib))
    return Layout(
        dirs=dirs,
        files=tuple(files),
        links=tuple(links),
        copies=tuple(copies),
        cfg="".join(f"{key} = {value}\n" for key, value in cfg).encode("utf-8"),
    )


def _parents(relative: str) -> tuple[str, ...]:
    parts = relative.split("/")
    return tuple("/".join(parts[: i + 1]) for i in range(len(parts)))


@functools.cache
def _uv_version() -> str | None:
    """The version of the uv package corral runs (its dist-info's name), without starting uv; None if unknown."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("uv")
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    site = Path(spec.origin).parent.parent
    try:  # glob("uv-*.dist-info") without compiling a pattern
        found = sorted(name for name in os.listdir(site) if name.startswith("uv-") and name.endswith(".dist-info"))
    except OSError:
        return None
    if len(found) != 1:
        return None
    version = found[0][len("uv-") : -len(".dist-info")]
    # It goes into pyvenv.cfg: a folder's name is no evidence, so only a plain version is taken.
    return version if re.fullmatch(r"[0-9]+(\.[0-9]+)*([a-z]+[0-9]*)?(\.(post|dev)[0-9]+)?", version) else None


def _is_standalone(interpreter: InterpreterInfo) -> bool:
    """A python-build-standalone build (uv-managed ones included): its sysconfig data says so."""
    if any(source.startswith("uv") for source in interpreter.sources):
        return True
    stdlib = Path(interpreter.base_prefix) / "lib" / f"python{interpreter.short_version}"
    try:  # glob("_sysconfigdata_*.py") without compiling a pattern
        names = os.listdir(stdlib)
    except OSError:
        return True
    candidates = [stdlib / name for name in names if name.startswith("_sysconfigdata_") and name.endswith(".py")]
    if not candidates:
        return True  # not the layout this creator knows: let uv judge
    try:
        return any(b"PYTHON_BUILD_STANDALONE" in candidate.read_bytes() for candidate in candidates)
    except OSError:
        return True


class NativeCreator:
    """Writes the `uv venv` layout in-process for a plain CPython 3.7+ on Linux (see the module's docstring)."""

    name = "native"

    def cannot_create(self, interpreter: InterpreterInfo) -> str | None:
        """Anything not laid out exactly as uv does is refused with the reason (uv or venv then serve it)."""
        reason = _refusal(interpreter, sys.platform)
        if reason is None and _uv_version() is None:
            reason = "the version of corral's uv is unknown without starting it (uv is not installed as a package)"
        return reason

    def create(self, request: CreateRequest) -> None:
        """Write the layout into `request.dest` (absent or empty); seeded envs and uv's own settings go to uv."""
        if request.seed or _uv_settings(request.environ):
            from corral.creators.uv import UvCreator

            uv = UvCreator()
            uv.create(request)
            self.name = uv.name  # corral's record names who made the env
            return
        version = _uv_version()
        if version is None:  # pragma: no cover - cannot_create refused it
            msg = "the native creator needs the version of corral's uv"
            raise RuntimeError(msg)
        dest = os.path.abspath(request.dest)
        prompt = request.prompt or None
        if prompt == ".":  # uv's --prompt . means the current folder's name
            prompt = os.path.basename(os.getcwd()) or None
        layout = plan_layout(
            request.interpreter,
            dest,
            prompt=prompt,
            system_site_packages=request.system_site_packages,
            uv_version=version,
        )
        write_layout(Path(dest), layout)


def write_layout(dest: Path, layout: Layout) -> None:
    """Write `layout` into `dest` (created if absent); pyvenv.cfg last, so a half-written env is not an env."""
    from corral.infra.faults import checkpoint

    dest.mkdir(parents=True, exist_ok=True)
    for folder in layout.dirs:
        (dest / folder).mkdir(parents=True, exist_ok=True)
    for name, target in layout.links:
        _link(target, dest / name)
    for name, sources in layout.copies:
        source = next((s for s in sources if os.path.isfile(s)), None)
        if source is None:
            msg = f"no venv launcher to copy as {name}: looked for {', '.join(sources)}"
            raise FileNotFoundError(msg)
        import shutil  # ~1.5 ms: only Windows layouts copy a launcher

        shutil.copy(source, dest / name)
    checkpoint("native:folders")
    for name, data in layout.files:
        _write_new(dest / name, data)
    checkpoint("native:before-cfg")
    _write_new(dest / "pyvenv.cfg", layout.cfg)
    checkpoint("native:done")


def _write_new(path: Path, data: bytes) -> None:
    """Create `path` (never through a link or over a file already there) with `data`."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as err:  # os.write names no file: a full disk said only "No space left on device"
        raise _naming(err, path) from err
    finally:
        os.close(fd)


def _link(target: str, path: Path) -> None:
    """`os.symlink`, whose error names the link's target first: the error names the link being made."""
    try:
        os.symlink(target, path)
    except OSError as err:
        raise _naming(err, path) from err


def _naming(err: OSError, path: Path) -> OSError:
    """`err` naming `path`, the file or link that could not be written (the CLI then names its disk and the fix)."""
    return type(err)(err.errno, err.strerror, str(path))


def _refusal(interpreter: InterpreterInfo, platform: str) -> str | None:
    """Why the native layout would not be uv's for `interpreter` on `platform` (sys.platform), or None."""
    what = f"Python {interpreter.version} at {interpreter.path}"
    path = interpreter.path
    checks: tuple[tuple[Callable[[], bool], str], ...] = (
        (
            lambda: not platform.startswith("linux"),
            f"the native creator lays out Linux envs only (this is {platform}); uv makes the env",
        ),
        (
            lambda: interpreter.implementation != "CPython",
            f"the native creator lays out CPython envs only, not {interpreter.implementation}",
        ),
        (
            lambda: interpreter.version_info < (*_OLDEST, 0),
            f"the native creator lays out Python 3.7 and newer, not {interpreter.version}",
        ),
        (lambda: interpreter.free_threaded, f"the native creator does not lay out free-threaded builds ({what})"),
        (
            lambda: interpreter.is_venv or interpreter.prefix != interpreter.base_prefix,
            f"{what} is itself a virtual env: uv resolves its base interpreter",
        ),
        (
            lambda: not os.path.isabs(path) or os.path.normpath(path) != path,
            f"{what}: the native creator needs an absolute, normalised interpreter path",
        ),
        (
            lambda: os.path.realpath(path) != interpreter.realpath,
            f"{what} is not the interpreter it ran as (a shim or a changed link): uv finds the real one",
        ),
        (
            lambda: _is_standalone(interpreter),
            f"{what} is a standalone (uv-managed style) build: uv links it by its own rules",
        ),
    )
    return next((reason for refused, reason in checks if refused()), None)


def _uv_settings(environ: Mapping[str, str] | None) -> bool:
    env = os.environ if environ is None else environ
    return any(env.get(name) for name in _UV_VENV_VARS)
