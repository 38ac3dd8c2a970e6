"""Contacts, conversations, messages and comments: what customers sent and what we answered."""
