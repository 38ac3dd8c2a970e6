"""The staff inbox: what staff do with conversations, escalations and comments (read, take
over, answer, hide, resolve, hand back). It orchestrates the owners of those rows
(`conversations`, `escalations`, `comments`, `outbound`) and writes no SQL of its own."""
