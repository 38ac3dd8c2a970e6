"""Processes that make up a local SocialSync: embedded servers and the supervisor."""
