"""Database access: the pool, tenant and privileged sessions, migrations."""
