"""infra.sha256: hashlib's digest, without loading OpenSSL for small data while hashlib is not loaded yet."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from corral.infra.sha256 import hexdigest


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 4096, (1 << 18) - 1, 1 << 18, 3 << 18])
def test_the_digest_is_hashlibs(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    assert hexdigest(data) == hashlib.sha256(data).hexdigest()


def test_small_data_loads_no_openssl_and_large_data_does() -> None:
    """A fresh interpreter: hashlib (OpenSSL) stays unloaded for a small file's bytes, and is loaded for a large one."""
    code = (
        "import sys; from corral.infra.sha256 import hexdigest; hexdigest(b'x' * 4096); "
        "small = 'hashlib' in sys.modules; hexdigest(b'x' * (1 << 20)); print(small, 'hashlib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]
