"""Statements a connection keeps prepared, for the transactions sent in trips (app/db/trips.py).

A trip is one simple-protocol message, and Postgres parses and plans every statement in it
anew: on the reply path that was about a third of the database's CPU per reply (planning alone
4 ms of 12, `pg_stat_statements` with `track_planning`). A statement a process has sent a few
times is therefore prepared on each connection the first time that connection sends it
(`PREPARE` in the same message, so no round trip is added) and run with `EXECUTE` from then
on, its values still quoted by libpq on our side.

Only trips use this, and only on connections that keep their session: a transaction-mode
pooler (Supavisor on port 6543) hands each transaction another backend, where the statement
does not exist (`Settings.db_prepared_trips`). The API's own queries stay unprepared: generic
plans for their optional filters cost far more than planning saves (README, session 12)."""

from __future__ import annotations

import itertools
import re
import weakref
from collections import Counter
from dataclasses import dataclass
from typing import LiteralString, cast

from psycopg import errors

from app.db.session import Conn

# a statement is prepared once this process has sent it this many times: the one-off
# statements of rare paths are not worth a PREPARE on every connection
USES_BEFORE_PREPARING = 3
# statements one connection keeps at most; the rest are sent as they are
PREPARED_PER_CONNECTION = 200

_PLACEHOLDER = re.compile(r"%(?:(%)|\((\w+)\)s)")
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Statement:
    """A query prepared (or being prepared) on one connection: the PREPARE to send once, and
    the EXECUTE to send each time, its values bound by psycopg as the query's were."""

    prepare: str
    call: LiteralString


def _statement(text: str) -> Statement:
    params: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1):
            return "%"  # psycopg's escaped percent sign
        if match.group(2) not in params:
            params.append(match.group(2))
        return f"${params.index(match.group(2)) + 1}"

    body = _PLACEHOLDER.sub(number, text)
    name = f"trip_{next(_numbers)}"
    values = ", ".join(f"%({param})s" for param in params)
    call = f"execute {name}({values})" if params else f"execute {name}"
    return Statement(prepare=f"prepare {name} as {body}", call=cast(LiteralString, call))


class Registry:
    """Which statements each connection has prepared. Connections are registered as the pool
    makes them (`enable`) and forgotten with them."""

    def __init__(self) -> None:
        self._by_connection: weakref.WeakKeyDictionary[Conn, dict[str, Statement]] = (
            weakref.WeakKeyDictionary()
        )
        self._uses: Counter[str] = Counter()
        # statements Postgres would not prepare (a value whose type it cannot tell)
        self._never: set[str] = set()

    def enable(self, conn: Conn) -> None:
        self._by_connection[conn] = {}

    def plan(self, conn: Conn, text: str) -> tuple[Statement | None, bool]:
        """How this connection runs the query, and whether that needs a PREPARE first; None:
        send the query as it is."""
        prepared = self._by_connection.get(conn)
        if prepared is None or text in self._never:
            return None, False
        if text in prepared:
            return prepared[text], False
        self._uses[text] += 1
        if self._uses[text] < USES_BEFORE_PREPARING or len(prepared) >= PREPARED_PER_CONNECTION:
            return None, False
        return _statement(text), True

    def prepared_now(self, conn: Conn, statements: dict[str, Statement]) -> None:
        prepared = self._by_connection.get(conn)
        if prepared is not None:
            prepared.update(statements)

    def failed(self, conn: Conn, error: BaseException, texts: list[str]) -> bool:
        """After a message failed; True when it failed for a prepared statement and not for
        its work. Postgres would not prepare a query (a value whose type it cannot tell): those
        queries are sent as they are from now on. A prepared statement is gone (DISCARD ALL) or
        its plan no longer fits its table (a migration): the connection prepares everything
        again, under new names."""
        if texts and isinstance(error, errors.IndeterminateDatatype | errors.AmbiguousParameter):
            self._never.update(texts)
            return True
        stale = isinstance(error, errors.FeatureNotSupported) and "cached plan" in str(error)
        if stale or isinstance(error, errors.InvalidSqlStatementName):
            prepared = self._by_connection.get(conn)
            if prepared is not None:
                prepared.clear()
            return True
        return False


registry = Registry()
