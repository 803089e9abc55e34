"""Stub of click 8.1.7 for corral's tests."""

__version__ = "8.1.7"
