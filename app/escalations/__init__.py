"""Escalations: a conversation handed to staff, with the reason and the bot's draft. This
package alone writes `escalations`."""
