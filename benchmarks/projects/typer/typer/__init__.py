"""Benchmark stub."""

__version__ = "0.27.1"
