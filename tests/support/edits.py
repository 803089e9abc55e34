"""Seeded random edits of a text: the differential tests of corral's fast readers (each must read an edit to
exactly what tomllib reads, or refuse it)."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

__all__ = ["random_edits"]


def random_edits(base: str, pieces: Sequence[str], *, count: int = 4000, seed: int = 751) -> Iterator[str]:
    """`count` variants of `base`, each with 1-3 insertions, deletions or replacements of `pieces` (the same ones
    on every run)."""
    rng = random.Random(seed)  # noqa: S311 - seeded: the same edits on every run
    for _ in range(count):
        text = base
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            action = rng.random()
            if action < 0.4:
                text = text[:at] + rng.choice(pieces) + text[at:]
            elif action < 0.7:
                text = text[:at] + text[at + rng.randint(1, 4) :]
            else:
                text = text[:at] + rng.choice(pieces) + text[at + 1 :]
        yield text
