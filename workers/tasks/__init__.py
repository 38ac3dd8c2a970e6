"""Thin Celery tasks: each body calls a service in app/."""
