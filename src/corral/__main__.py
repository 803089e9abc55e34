"""`python -m corral`: the quick no-op answers first (`cli.quick`), else the full command line."""

from __future__ import annotations

from corral.cli.quick import run

if __name__ == "__main__":
    run()
