"""The record of every conversation: contacts, conversations and messages. This package alone
writes those tables; other domains call `record` (in their own transaction), never SQL."""
