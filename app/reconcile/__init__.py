"""Celery Beat's reconciliation: what webhooks missed, found by polling, fed to the same inbox."""
