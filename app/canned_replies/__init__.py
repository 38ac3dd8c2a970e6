"""A workspace's canned replies: ready answers staff insert into a reply."""
