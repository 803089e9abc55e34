"""Stub of requests for corral's tests."""
