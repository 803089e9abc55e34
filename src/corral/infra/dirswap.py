"""Exchange two directories atomically (Linux renameat2 RENAME_EXCHANGE), with a plain-rename fallback elsewhere."""

from __future__ import annotations

import ctypes
import os
import platform
import sys
from pathlib import Path

__all__ = ["exchange"]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_SYSCALL_RENAMEAT2 = {"x86_64": 316, "aarch64": 276}


def _renameat2() -> object | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    func = getattr(libc, "renameat2", None)
    if func is not None:
        func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        return lambda a, b: func(_AT_FDCWD, a, _AT_FDCWD, b, _RENAME_EXCHANGE)
    number = _SYSCALL_RENAMEAT2.get(platform.machine())
    if number is None:
        return None
    syscall = libc.syscall
    return lambda a, b: syscall(number, _AT_FDCWD, a, _AT_FDCWD, b, _RENAME_EXCHANGE)


def exchange(a: Path, b: Path) -> bool:
    """Swap `a` and `b` in one step; False when the OS or file system cannot (the caller falls back)."""
    if os.environ.get("CORRAL_NO_RENAME_EXCHANGE"):  # tests exercise the two-rename fallback with it
        return False
    call = _renameat2()
    if call is None:
        return False
    rc = call(os.fsencode(a), os.fsencode(b))  # type: ignore[operator]
    if rc == 0:
        return True
    err = ctypes.get_errno()
    import errno

    if err in {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EXDEV}:
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))
