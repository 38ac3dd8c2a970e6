"""The shape the codebase promises (STYLE.md): each table written by one domain, SQL only in
repos, and the conversation domains layered so that owners never call back into the code that
orchestrates them. These read the source, so a change that breaks the rule fails here."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"

_WRITE = re.compile(
    r"\b(?:insert\s+into|update|delete\s+from)\s+(?:public|app_private)\.(\w+)", re.I
)
_ANY_SQL = re.compile(
    r"\b(?:insert\s+into|update|delete\s+from)\s+(?:public|app_private)\."
    r"|\bselect\b[^\"']{0,400}?\bfrom\s+(?:public|app_private)\.",
    re.I | re.S,
)
# not domain code: the migration runner, the job-claim table's helper, Meta's stand-in
_NOT_DOMAIN = {"db/migrations.py", "maintenance/job_runs.py"}


def _sources() -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(APP)), path.read_text())
        for path in sorted(APP.rglob("*.py"))
        if path.relative_to(APP).parts[0] != "sandbox"
    ]


def _package(rel: str) -> str:
    return rel.split("/")[0].removesuffix(".py")


def test_every_table_is_written_by_one_domain() -> None:
    writers: dict[str, set[str]] = defaultdict(set)
    for rel, text in _sources():
        for table in _WRITE.findall(text):
            writers[table].add(_package(rel))
    # the catalogue is found at all (a broken pattern must not pass by finding nothing)
    assert {"messages", "conversations", "escalations", "outbound_messages"} <= set(writers)
    shared = {table: sorted(pkgs) for table, pkgs in writers.items() if len(pkgs) > 1}
    assert shared == {}


def test_sql_lives_only_in_repos() -> None:
    outside = [
        rel
        for rel, text in _sources()
        if rel not in _NOT_DOMAIN
        and not Path(rel).name.endswith("repo.py")
        and _ANY_SQL.search(text)
    ]
    assert outside == []


def _imports() -> dict[str, set[str]]:
    """Package -> the app packages its modules import (anywhere in the module)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for rel, text in _sources():
        for node in ast.walk(ast.parse(text)):
            names = (
                [node.module]
                if isinstance(node, ast.ImportFrom) and node.module
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                if name.startswith("app.") and (target := name.split(".")[1]) != _package(rel):
                    graph[_package(rel)].add(target)
    return graph


# lower layers never import higher ones (nor their neighbours): the owners of the rows first,
# then what sends, then what orchestrates (webhook events becoming messages; on those, the
# reply decision and the staff inbox)
LAYERS = [
    {"conversations", "comments"},
    {"escalations"},
    {"outbound"},
    {"webhooks"},
    {"ingest"},
    {"replies", "inbox"},
]


def test_the_conversation_domains_are_layered() -> None:
    graph = _imports()
    assert "conversations" in graph["ingest"] and "outbound" in graph["inbox"]
    wrong = []
    for level, packages in enumerate(LAYERS):
        above = set().union(*LAYERS[level + 1 :])
        for package in packages:
            for target in graph[package] & (above | (packages - {package})):
                wrong.append(f"{package} imports {target}")
    assert wrong == []
