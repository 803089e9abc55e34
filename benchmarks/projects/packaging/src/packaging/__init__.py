"""Benchmark stub."""

__version__ = "26.4.dev0"
