"""Append-only record of what staff changed."""
