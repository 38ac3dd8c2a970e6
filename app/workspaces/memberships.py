"""Who belongs to which workspace, with what role, remembered for a few seconds per process.

Every API request names a workspace, and looking the membership up was a whole transaction of
its own (the most frequent query of all). The database stays the authority: RLS checks
membership and role on every row read or written, so a member removed or demoted in another
process loses access at once and only the error they see may lag by at most the TTL. Changes
made through this process clear it at once."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from app.cache import ExpiringCache

# (user, requested workspace or None for their default) -> the membership row
MembershipCache = ExpiringCache[tuple[UUID, UUID | None], dict[str, Any]]
