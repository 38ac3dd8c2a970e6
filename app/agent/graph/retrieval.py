"""Retrieval: the knowledge base searched for what the customer asked."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig

from app.agent.graph.state import AgentState, run_of
from app.agent.small_talk import recognise
from app.kb.service import SearchHit


async def retrieve(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
    run = run_of(config)
    deps = run.deps
    settings = run.deps.settings
    log = run.log
    # A burst ("hi" / "quick question" / "do you ship to Spain?") is searched as a whole and
    # line by line: the question is often one line, and the greeting dilutes the whole.
    queries = [state["text"]]
    lines = [line for line in state["text"].splitlines() if line.strip()]
    if len(lines) > 1:
        queries += lines[-5:]
    talk = recognise(state["text"])
    if talk is not None and talk.rest and talk.rest not in queries:
        queries.append(talk.rest)
    best: dict[str, SearchHit] = {}
    found = await deps.knowledge.search_many(queries, limit=settings.kb_search_results)
    for hit in (hit for hits in found for hit in hits):
        key = f"{hit.kind}:{hit.id}"
        if key not in best or (hit.similarity or 0) > (best[key].similarity or 0):
            best[key] = hit
    hits = sorted(best.values(), key=lambda h: -(h.similarity or 0))
    log.remember(hits)
    return {"hits": hits, "reasons": [f"retrieved {len(hits)} passages"]}
