"""Entry point: parse arguments, dispatch to one command module, map errors to exit codes.

Only the chosen command's module is imported, so `corral --help` and cheap commands start fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from corral import __version__

TYPE_CHECKING = False  # typing itself costs ~2.5 ms at start-up; mypy reads this name as typing's
if TYPE_CHECKING:
    from typing import Any, NoReturn

    from corral.render.output import Output

__all__ = ["COMMANDS", "HIDDEN", "add_verbosity", "command_parser", "main", "run"]

# name -> (module under corral.cli, one-line help). Each module has configure(parser) and handle(args, ctx, out).
COMMANDS: dict[str, tuple[str, str]] = {
    "python": ("python_cmd", "discover, find and pin Python interpreters"),
    "venv": ("venv_cmd", "create a virtual environment (default: the project's .venv)"),
    "info": ("info_cmd", "show an environment's layout, interpreter, packages and size"),
    "config": ("config_cmd", "show effective settings and where each value comes from"),
    "init": ("init_cmd", "start a project here: pyproject.toml, .python-version, .venv (adopts what exists)"),
    "add": ("add_cmd", "record requirements in pyproject.toml, lock and install them (all or nothing)"),
    "remove": ("remove_cmd", "drop requirements from pyproject.toml, re-lock and sync (all or nothing)"),
    "lock": ("lock_cmd", "resolve pyproject.toml into pylock.toml (PEP 751) for every platform"),
    "tree": ("tree_cmd", "show the locked dependency tree"),
    "outdated": ("outdated_cmd", "list locked packages with newer releases, allowed or not by the constraints"),
    "import": ("import_cmd", "record a requirements.txt's contents in pyproject.toml"),
    "export": ("export_cmd", "print the locked set as requirements.txt or pylock.toml"),
    "envs": ("envs_cmd", "every environment on this machine: list, scan, gc, rm"),
    "cache": ("cache_cmd", "corral's own cache folder: dir, info, prune (what is stale), clean (all)"),
    "x": ("x_cmd", "run a command-line tool from a package in its own cached env (like pipx run / uvx)"),
    "sync": ("sync_cmd", "make the env exactly the lock (install, change, remove)"),
    "run": ("run_cmd", "run a command in the project's env (syncing first if needed)"),
    "doctor": ("doctor_cmd", "check an env (moved, base upgraded, drift, stale lock...) and fix it"),
    "recreate": ("recreate_cmd", "rebuild the project's env from the lock, swapped in atomically"),
    "upgrade": ("upgrade_cmd", "move the project to another Python (patch level in place, else rebuild)"),
    "kernel": ("kernel_cmd", "Jupyter kernels for the project's env: add (records ipykernel), list, remove"),
    "adopt": ("adopt_cmd", "record installed-but-unlocked packages in pyproject.toml and the lock"),
    "activate": ("activate_cmd", 'print code that activates the env in your shell: eval "$(corral activate)"'),
    "deactivate": ("deactivate_cmd", "print code that deactivates the active env"),
    "shell": ("shell_cmd", "start your shell with the env active (exit returns)"),
    "hook": ("hook_cmd", "print the rc snippet that activates a project's env on cd"),
    "hook-eval": ("hook_eval_cmd", "(internal) what the cd-hook runs when the folder changed"),
    "allow": ("allow_cmd", "let the cd-hook activate an env corral did not create"),
    "which": ("which_cmd", "which env, python and pip are really live, and whether they are this project's"),
    "completion": ("completion_cmd", "print the shell completion script: bash, zsh, fish or powershell"),
    "__complete": ("complete_cmd", "(internal) the values a completion script asks for: groups, extras, kernels"),
}
HIDDEN = frozenset({"hook-eval", "__complete"})  # run by corral's own shell code; not in help or completion
_CHECK_WIDTH = 80  # the formatter argparse checks an option's metavar with never prints

_EXIT_INTERRUPTED = 130
_EXIT_INTERNAL = 70
_EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what the shell reports for `ls | head -1` when head leaves early


class _Refused(Exception):
    """argparse's verdict on a command line, carried to _main (not an error of corral's tree)."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser


class _Parser(argparse.ArgumentParser):
    """argparse that hands its usage errors to _main (so `--json` can answer with the error envelope)."""

    _adding = False

    def error(self, message: str) -> NoReturn:
        raise _Refused(self, message)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:  # noqa: ANN401 - argparse's own signature
        """argparse's, but its check of the option's metavar gets a formatter of a fixed width (see _get_formatter)."""
        self._adding = True
        try:
            return super().add_argument(*args, **kwargs)
        finally:
            self._adding = False

    def _get_formatter(self) -> argparse.HelpFormatter:
        # argparse builds a formatter for every option added, only to check its metavar; asking the terminal's
        # width each time (and importing shutil for it) costs a command ~2 ms. Help and usage get the real width.
        if self._adding:
            return self.formatter_class(prog=self.prog, width=_CHECK_WIDTH)  # type: ignore[call-arg] # argparse's all take it
        return super()._get_formatter()


class _TopParser(_Parser):
    """The grouped command list is built only when the help is shown (`corral --version` never pays for it)."""

    def format_help(self) -> str:
        from corral.render.help import top_epilog

        self.epilog = top_epilog({name: text for name, (_, text) in COMMANDS.items() if name not in HIDDEN})
        return super().format_help()


def _top_parser() -> argparse.ArgumentParser:
    parser = _TopParser(
        prog="corral",
        description="corral owns the whole life of a Python project's virtual environment.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"corral {__version__}")
    _add_globals(parser)
    parser.add_argument(
        "command",
        nargs="?",
        choices=sorted(set(COMMANDS) - HIDDEN),
        metavar="COMMAND",
        help="one of the commands below",
    )
    return parser


def command_parser(name: str) -> tuple[object, argparse.ArgumentParser]:
    """The module of command `name` and its parser (global options included)."""
    module = importlib.import_module(f"corral.cli.{COMMANDS[name][0]}")
    parser = _Parser(prog=f"corral {name}", description=COMMANDS[name][1])
    _add_globals(parser)
    module.configure(parser)
    for action in parser._actions:  # noqa: SLF001 - argparse lists its subparsers nowhere else
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001 - as above
            for sub in action.choices.values():
                add_verbosity(sub)
    return module, parser


def add_verbosity(parser: argparse.ArgumentParser, *, verbose_help: str = "more detail; tracebacks for errors") -> None:
    """-v and -q after a command's action too (`corral kernel list -q`); unset, they keep the values given before it.

    `command_parser` adds them to every action of every command; a command may add them first for its own help text.
    """
    taken = parser._option_string_actions  # noqa: SLF001 - an action's own -v (if any) wins
    if not {"-v", "--verbose", "--debug"} & taken.keys():
        parser.add_argument(
            "-v", "--verbose", "--debug", action="count", default=argparse.SUPPRESS, dest="verbose", help=verbose_help
        )
    if not {"-q", "--quiet"} & taken.keys():
        parser.add_argument(
            "-q",
            "--quiet",
            action="store_true",
            default=argparse.SUPPRESS,
            help="errors and warnings only (a listing still prints its rows)",
        )


def _add_globals(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-v",
        "--verbose",
        "--debug",
        action="count",
        default=0,
        dest="verbose",
        help="more detail; tracebacks for errors",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="errors and warnings only (a listing still prints its rows)"
    )
    parser.add_argument("-C", "--directory", metavar="DIR", help="act as if started in DIR")


def _command_index(argv: Sequence[str]) -> int | None:
    skip_next = False
    for i, arg in enumerate(argv):
        if skip_next:
            skip_next = False
            continue
        if arg in {"-C", "--directory"}:
            skip_next = True
            continue
        if not arg.startswith("-"):
            return i
    return None


def _unknown_command(word: str) -> str:
    """`corral ad`: the message naming the closest commands, not the whole list."""
    import difflib

    visible = sorted(set(COMMANDS) - HIDDEN)
    close = difflib.get_close_matches(word, visible, n=3, cutoff=0.6)
    hint = (
        f"did you mean {' or '.join(f'`corral {c}`' for c in close)}?"
        if close
        else "`corral --help` lists the commands"
    )
    return f"unknown command {word!r}; {hint}"


def _refuse(parser: argparse.ArgumentParser, message: str, command: str, *, json: bool) -> int:
    """A command line argparse (or corral) refused: usage and message on stderr, the envelope with --json; exit 2."""
    message = _with_suggestion(parser, message)
    parser.print_usage(sys.stderr)
    sys.stderr.write(f"{parser.prog}: error: {message}\n")
    if json:
        from corral.render.output import Output

        Output().json_error(command, code="usage-error", message=message, exit_code=2)
    return 2


def _with_suggestion(parser: argparse.ArgumentParser, message: str) -> str:
    """The message argparse gave, plus the close spelling for a mistyped action (`envs lst`) or flag (`--jsn`)."""
    import difflib
    import re

    choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)$", message)
    unknown = re.match(r"unrecognized arguments: (-\S+)", message)
    if choice:
        typed, known = choice.group(1), re.findall(r"'([^']*)'", choice.group(2)) or choice.group(2).split(", ")
    elif unknown:
        typed, known = unknown.group(1).split("=")[0], _option_strings(parser)
    else:
        return message
    others = [k for k in dict.fromkeys(known) if k != typed]  # never the word typed (`-q` refused where it is known)
    close = difflib.get_close_matches(typed, others, n=2, cutoff=0.6)
    return f"{message}; did you mean {' or '.join(repr(c) for c in close)}?" if close else message


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """Every flag of `parser` and of its actions' parsers (`kernel add --nme` is refused by `kernel`'s parser)."""
    found: list[str] = []
    for action in parser._actions:  # noqa: SLF001 - argparse lists its options nowhere else
        found.extend(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001 - as above
            for sub in action.choices.values():
                found.extend(_option_strings(sub))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Run corral with `argv`; returns the exit code."""
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:  # printing help or a fast path's answer to a reader that left
        if not _stdout_closed():
            raise
        return _quiet_broken_pipe()


def _main(args_in: list[str]) -> int:
    index = _command_index(args_in)
    json = "--json" in args_in
    if index is None or args_in[index] not in COMMANDS:
        parser = _top_parser()
        if index is None:
            try:
                parsed = parser.parse_args(args_in)
            except _Refused as refused:
                return _refuse(refused.parser, str(refused), "", json=json)
            parser.print_help()
            return 0 if parsed.command is None and not args_in else 2
        return _refuse(parser, _unknown_command(args_in[index]), "", json=json)
    name = args_in[index]
    module, parser = command_parser(name)
    try:
        args = parser.parse_args(args_in[:index] + args_in[index + 1 :])
    except _Refused as refused:
        return _refuse(refused.parser, str(refused), refused.parser.prog.removeprefix("corral "), json=json)
    fast = getattr(module, "fast_path", None)  # a stdlib-only shortcut (no-op sync/run) before the context is built
    code = fast(args) if fast is not None else None
    return code if code is not None else _dispatch(module, args, name)


def _setting_flags(module: object, args: argparse.Namespace) -> dict[str, object]:
    """The settings' command-line layer: the values of the options a command names in its `SETTING_FLAGS`."""
    return {setting: getattr(args, setting.replace("-", "_"), None) for setting in getattr(module, "SETTING_FLAGS", ())}


def _dispatch(module: object, args: argparse.Namespace, name: str) -> int:
    from pathlib import Path

    from corral.errors import CorralError
    from corral.render.output import Output, attach_logging
    from corral.services.context import Context

    out = Output(quiet=args.quiet, verbose=args.verbose)
    attach_logging(out)

    def fail(err: BaseException, message: str, code: int) -> int:
        return _fail(out, args, name, err, message, code)

    try:
        ctx = Context(cwd=Path(args.directory) if args.directory else None, flags=_setting_flags(module, args))
        from corral.cli.quick import resume_collector

        resume_collector()  # start-up is over (cli.quick paused the collector): the command collects as before
        code: int = module.handle(args, ctx, out)  # type: ignore[attr-defined]
    except CorralError as err:
        if args.verbose:
            import traceback

            traceback.print_exc()
        return fail(err, str(err), err.exit_code)
    except KeyboardInterrupt as err:
        import signal

        # the Ctrl-C reached the tools corral ran too, and one may pass it on: a second one must not cut the exit
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        return fail(err, "interrupted; nothing was left half done (run the command again to finish)", _EXIT_INTERRUPTED)
    except OSError as err:  # a full disk, a read-only mount, a permission: the user's to fix, not a bug
        if isinstance(err, BrokenPipeError) and _stdout_closed():
            return _quiet_broken_pipe()
        if args.verbose:
            raise
        return fail(err, _os_error_message(err), 1)
    except Exception as err:
        if args.verbose:
            raise
        return fail(
            err,
            f"internal error: {type(err).__name__}: {err} (run again with -v for the traceback and report it)",
            _EXIT_INTERNAL,
        )
    return code


def _fail(out: Output, args: argparse.Namespace, name: str, err: BaseException, message: str, code: int) -> int:
    """One error line on stderr; with --json also the error envelope on stdout. Returns `code`."""
    from corral.core.urls import redacted

    message = redacted(message)  # a tool's words may hold an index URL's credential (its environment's)
    out.error(message)
    if getattr(args, "json", False):
        from corral.render.output import error_code

        action = getattr(args, "action", None)
        out.json_error(
            f"{name} {action}" if isinstance(action, str) else name,
            code=error_code(err),
            message=message,
            exit_code=code,
        )
    return code


def _stdout_closed() -> bool:
    """True when whoever read our stdout went away (a pipe whose reader exited), or when that cannot be told."""
    try:
        import select

        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows), or stdout is no file: assume it was stdout
        return True


def _quiet_broken_pipe() -> int:
    """`corral info | head -1`: stop without a word, as other command-line tools do."""
    import os

    # Python flushes stdout once more at exit; writing to devnull instead keeps that from failing a second time.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is no file (tests capture it): nothing will flush it at exit
        pass
    return _EXIT_BROKEN_PIPE


def _os_error_message(err: OSError) -> str:
    import errno

    where = f"{err.filename}: " if err.filename else ""
    full = ""
    if err.errno in {errno.ENOSPC, errno.EDQUOT} and err.filename:
        from corral.infra.fs import mount_point

        full = f" on {mount_point(err.filename)}"
    hint = {
        errno.ENOSPC: f"free some space{full} and run the command again",
        errno.EROFS: "the folder is on a read-only file system; work on a writable copy",
        errno.EACCES: "check the permissions (and who owns the folder)",
        errno.EPERM: "the file is protected (immutable, or owned by someone else)",
        errno.EDQUOT: f"your disk quota is used up; free some space{full}",
    }.get(err.errno or 0, "check the path")
    return f"{where}{err.strerror or err}; {hint} (corral replaces files atomically: nothing was half-written)"


def run() -> None:
    """Console-script entry point."""
    from corral.cli.quick import ensure_std_streams
    from corral.cli.streams import guard_streams, leave, unwritten

    ensure_std_streams()
    guard_streams()  # output that cannot be written is no crash (cli.streams)
    try:
        code = main()
        sys.stdout.flush()  # here, not at exit, so a reader that left early is seen (and not reported)
    except BrokenPipeError:
        code = _quiet_broken_pipe()
    leave(unwritten(code))
