"""From a customer's message to the bot's action: decide once per burst, record why, queue the reply."""
