"""Stub of rich (Textualize/rich 14.3.3) for corral's tests: only the packaging files are real."""
