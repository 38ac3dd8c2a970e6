"""Email alerts for staff: a new escalation, a customer waiting too long in a held chat."""
