"""Benchmark stub."""

