"""Instagram accounts and WhatsApp numbers connected to a workspace."""
