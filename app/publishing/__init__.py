"""Publishing scheduled Instagram posts."""
