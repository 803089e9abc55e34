"""Benchmark stub."""
