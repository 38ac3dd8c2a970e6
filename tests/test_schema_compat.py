"""The schema runs on PostgreSQL 15, 16, 17 and 18 (README). The test server is 18, so every
migration is also parsed by PostgreSQL 15's own grammar (libpg_query 15, through pglast 5),
PL/pgSQL bodies included, and checked for the functions and syntax that came after 15."""

from __future__ import annotations

import re

import pytest
from pglast import parser

from app.db.migrations import COMPAT_SCRIPT, discover

# what PostgreSQL 16, 17 and 18 added that a PostgreSQL 15 grammar may still parse
NEWER_THAN_15 = {
    r"\bany_value\s*\(": "any_value() is PostgreSQL 16",
    r"\bpg_input_is_valid\s*\(": "pg_input_is_valid() is PostgreSQL 16",
    r"\bsystem_user\b": "SYSTEM_USER is PostgreSQL 16",
    r"\brandom_normal\s*\(": "random_normal() is PostgreSQL 16",
    r"\barray_(sample|shuffle)\s*\(": "array_sample()/array_shuffle() are PostgreSQL 16",
    r"\bjson_(table|exists|query|value|serialize|scalar)\s*\(": "SQL/JSON functions are 16-17",
    r"\bis\s+json\b": "IS JSON is PostgreSQL 16",
    r"\bjson_(array|arrayagg|objectagg)\s*\(": "SQL/JSON constructors are PostgreSQL 16",
    r"\buuidv[47]\s*\(": "uuidv4()/uuidv7() are PostgreSQL 18",
    r"\bvirtual\b": "virtual generated columns are PostgreSQL 18",
    r"\bmaintain\b": "the MAINTAIN privilege is PostgreSQL 17",
}
SCRIPTS = [COMPAT_SCRIPT, *(m.path for m in discover())]


def _without_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_parses_with_postgresql_15s_grammar(path) -> None:  # type: ignore[no-untyped-def]
    sql = path.read_text(encoding="utf-8")
    statements = parser.parse_sql(sql)
    assert statements, path.name
    for raw in parser.split(sql):
        if re.search(r"language\s+plpgsql", raw, re.IGNORECASE) and re.match(
            r"\s*create\s+(or\s+replace\s+)?function", raw, re.IGNORECASE
        ):
            parser.parse_plpgsql_json(raw)
    text = _without_comments(sql).lower()
    found = [why for pattern, why in NEWER_THAN_15.items() if re.search(pattern, text)]
    assert not found, f"{path.name}: {found}"


def test_the_grammar_is_postgresql_15s() -> None:
    assert parser.get_postgresql_version()[0] == 15
