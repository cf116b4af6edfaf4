"""Test specs for the linear algebra rules (see specs.py for the format)."""
SPECS = []
