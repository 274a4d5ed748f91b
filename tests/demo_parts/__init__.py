"""Steps of the quick-start demo (tests/demo.py runs them in order)."""
