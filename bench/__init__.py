"""Benchmarks against their floors (`make bench`), and the full load run (`make load`).

Not part of the application: nothing in config/ or the apps imports from here. See
docs/benchmarks.md for the results and how to rerun them.
"""
