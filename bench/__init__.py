"""Aries benchmarks: `python -m bench` (or `make bench`) measures Aries beside its baselines.

Each run starts from a fresh database on real PostgreSQL and Redis (the machine's servers
when ARIES_DATABASE_URL / ARIES_REDIS_URL are set, else the embedded ones), runs the API and
the projector as subprocesses, loads the API from a bounded async generator on loopback, and
prints one table, also written to docs/benchmarks.json and docs/benchmarks.md.

Every figure is the median of several runs with min and max, printed beside a baseline
measured in the same run. `--quick` runs fewer, smaller runs (to build and debug the bench;
its numbers are not the published ones).
"""
