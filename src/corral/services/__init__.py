"""Use cases, one module per user verb; each returns data (a Result) and never prints."""
