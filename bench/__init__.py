"""Benchmarks of tracertm: a deterministic corpus generator (``bench.corpus``) and one runner (``python -m bench``).

See bench/README.md.
"""
