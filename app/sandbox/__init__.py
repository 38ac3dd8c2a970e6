"""The Meta sandbox: a local emulator of the Graph API endpoints SocialSync calls."""
