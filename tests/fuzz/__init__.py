"""A deterministic fuzz harness: damaged images of every format poolimg reads, run through the
library and through the command line, checked for what must never happen.

``python -m tests.fuzz --mutants 5000`` runs a full campaign (README, "Reliability");
``tests/test_fuzz.py`` runs a slice of it on every CI run.
"""
