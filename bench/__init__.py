"""Benchmarks of novajoin-notify against a private RabbitMQ and the emulators (bench/run)."""
