"""The performance harness: `python -m benchmarks` times page renders and the trainer and prints a table."""
