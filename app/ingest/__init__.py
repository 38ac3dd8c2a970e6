"""Ingest: a stored webhook event becomes the customer's message, comment or the app reply it
says, once. Staff's side of conversations is `app/inbox`; the rows themselves belong to
`app/conversations`."""
