"""A script env's key is the SHA-256 of json.dumps of its parts, sorted keys, however corral spells that JSON.

`services.scripts.script_key` and `cli.script_quick` both write it with `infra.json_text.dumps`; a different byte
would give every script env already built a new name (each built again, once) or the two a different one.
"""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from corral.core.script_key import KEY_ENV_VARS, inputs_text
from corral.infra.environ import anchored
from corral.services.scripts import script_key

_ALPHABET = 'ab"\\/\n\r\t\x00\x1f\x7f\u00e9\u2028\ud83d\ude00\udcff{}:, #=[]'


def as_json(block: str, python: str | None, environ: dict[str, str], kind: str) -> str:
    parts = {
        "schema": "2",
        "kind": kind,
        "block": block,
        "python": python or "",
        "index": {k: environ[k] for k in KEY_ENV_VARS if k in environ},
    }
    return json.dumps(parts, sort_keys=True)


def text(chooser: random.Random) -> str:
    return "".join(chooser.choice(_ALPHABET) for _ in range(chooser.randint(0, 12)))


@pytest.mark.parametrize("seed", range(4))
def test_the_key_is_the_sha256_of_the_json_of_its_parts(seed: int) -> None:
    chooser = random.Random(seed)  # noqa: S311 - reproducible sampling, not cryptography
    for _ in range(2000):
        environ = {name: text(chooser) for name in KEY_ENV_VARS if chooser.random() < 0.4}
        environ["PATH"] = "/bin"  # not a key variable: never part of the key
        environ["XDG_CONFIG_HOME"] = "/nonexistent"  # no uv config file: none in the key
        environ["XDG_CONFIG_DIRS"] = "/nonexistent"
        environ.pop("UV_CONFIG_FILE", None)  # a file by that name (relative: in the working folder) would count
        python = chooser.choice((None, "", "3.12", text(chooser)))
        kind = chooser.choice(("script", "with", "tool"))
        block = text(chooser)
        expected = hashlib.sha256(as_json(block, python, anchored(environ), kind).encode()).hexdigest()
        assert script_key(block, python=python, environ=environ, kind=kind) == expected


def test_inputs_text_adds_the_lock_digest_only_when_there_is_a_lock() -> None:
    assert inputs_text("dependencies = []\n", None) == "dependencies = []\n"
    assert inputs_text("dependencies = []\n", "ab" * 32) == "dependencies = []\n\n#lock:" + "ab" * 32
