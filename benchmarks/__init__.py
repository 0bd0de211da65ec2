"""Side-by-side benchmarks of optkit against its peers (``python -m benchmarks``)."""
