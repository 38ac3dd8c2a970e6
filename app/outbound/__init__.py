"""Messages we send: written first, keyed by what they answer, sent at most once."""
