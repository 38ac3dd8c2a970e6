"""Secrets at rest, tokens and passwords."""
