"""Benchmarks of the lab (``make bench``): every figure is a ratio against a ceiling measured in the same
run, because the machines this runs on are shared and noisy. Benchmarks are not tests; the smoke test
(``tests/test_bench_smoke.py``) runs each one at a tiny size so that they cannot rot."""
