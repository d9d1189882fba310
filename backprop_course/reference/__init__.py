"""Reference implementations. Tests, fixtures and benchmarks use them; they
are never shipped to students nor imported from a notebook."""
