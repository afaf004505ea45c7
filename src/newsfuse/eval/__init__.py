"""Evaluation commands: one module per task, each exposing a typer ``command``."""
