"""CLI commands of the sequence experiments (echo, dependency, rows28)."""

commands = []
