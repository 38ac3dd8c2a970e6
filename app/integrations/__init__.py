"""Outgoing webhooks: a workspace's integrations hear about what happens in it."""
