"""E-mail: what a queued message looks like, and the outbox handler that sends it."""
