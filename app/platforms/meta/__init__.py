"""Meta's platforms (Instagram, WhatsApp): webhook payloads, signatures, Graph API clients."""
