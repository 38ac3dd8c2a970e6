"""Meta webhooks in: verify, store durably and idempotently, enqueue, answer fast."""
