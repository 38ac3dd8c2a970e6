"""The reply agent: guardrails, moderation, retrieval, a LangGraph tool loop or the offline
responder, and output checks; every run ends in a recorded decision."""
