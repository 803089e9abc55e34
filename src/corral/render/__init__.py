"""The only package that writes to stdout/stderr."""
