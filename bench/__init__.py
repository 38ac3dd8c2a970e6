"""Benchmarks: `make bench` runs them all, `make bench BENCH=name` one. Each prints JSON and
writes it to bench/results/<name>.json."""
