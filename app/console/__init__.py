"""The console: the web pages where owners, social managers and staff work, served by the API
process with the same accounts and the same RLS-scoped services as the JSON API."""
