"""Progress of long work: a live line on a terminal (phase, step count, elapsed time), plain lines otherwise.

Services report `progress(stage, detail)` events. `Progress` prints each as a line on stderr, as before; on a
terminal (stderr a TTY, no NO_COLOR, TERM not dumb) a live line under them shows the current phase, how many steps
have passed and the time since the start, once the work has run longer than `AFTER` seconds (short work shows
nothing more than its lines). rich is imported only when the live line starts.
"""

from __future__ import annotations

import _thread
import os
import time
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from threading import Timer
    from types import TracebackType

__all__ = ["AFTER", "Progress", "live_allowed"]

AFTER = 1.0  # seconds of work before the live line appears (CORRAL_PROGRESS_AFTER overrides: tests set 0)


def live_allowed(stream: TextIO, environ: dict[str, str] | os._Environ[str] | None = None) -> bool:
    """True when `stream` is a terminal that may get escape sequences (no NO_COLOR, TERM not dumb)."""
    env = os.environ if environ is None else environ
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty and not env.get("NO_COLOR") and env.get("TERM", "") != "dumb"


class Progress:
    """A `progress(stage, detail)` callable for services; use it as a context manager so the live line ends."""

    def __init__(self, stream: TextIO, *, quiet: bool = False, separator: str = ": ") -> None:
        self._stream = stream
        self._quiet = quiet
        self._separator = separator
        self._started = time.monotonic()
        self._steps = 0
        self._phase = ""
        self._lock = _thread.allocate_lock()  # threading's Lock; threading is imported for a live line only
        self._live: Any = None
        self._timer: Timer | None = None
        self._closed = False

    def __enter__(self) -> Progress:  # noqa: PYI034 - typing.Self is 3.11+, corral runs on 3.9
        if not self._quiet and live_allowed(self._stream):
            import threading

            after = float(os.environ.get("CORRAL_PROGRESS_AFTER", AFTER) or AFTER)
            self._timer = threading.Timer(max(after, 0.0), self._start_live)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._live is not None:
                self._live.stop()
                self._live = None

    def __call__(self, stage: str, detail: str) -> None:
        """One event: its line (unless quiet), and the live line's new phase."""
        with self._lock:
            self._steps += 1
            self._phase = f"{stage}{self._separator}{detail}"
            if self._quiet:
                return
            if self._live is not None:
                self._live.console.print(self._safe(self._phase), markup=False, highlight=False, soft_wrap=True)
                self._live.update(self._render())
            else:
                self._stream.write(self._safe(self._phase) + "\n")
                self._stream.flush()

    def _safe(self, text: str) -> str:
        from corral.render.output import terminal_safe

        return terminal_safe(text)

    def _render(self) -> Any:  # noqa: ANN401 - a rich renderable
        from rich.spinner import Spinner
        from rich.text import Text

        elapsed = time.monotonic() - self._started
        text = Text(
            f"{self._safe(self._phase)}  (step {self._steps}, {elapsed:.1f} s)", no_wrap=True, overflow="ellipsis"
        )
        return Spinner("dots", text=text)

    def _start_live(self) -> None:
        from rich.console import Console
        from rich.live import Live

        with self._lock:
            if self._closed or self._live is not None:
                return
            console = Console(file=self._stream, highlight=False)
            self._live = Live(
                self._render(),
                console=console,
                transient=True,
                refresh_per_second=8,
                get_renderable=self._render,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()
