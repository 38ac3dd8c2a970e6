"""The model's tools. Tenant ids and connections are bound here, never chosen by the model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool

from app.kb.embeddings import Embedder
from app.kb.service import SearchHit, search


@dataclass
class ToolLog:
    """What the tools saw and were told during one run."""

    hits: dict[str, SearchHit] = field(default_factory=dict)
    submitted: dict[str, Any] | None = None
    escalation: str | None = None

    def remember(self, hits: list[SearchHit]) -> None:
        for hit in hits:
            self.hits[f"{hit.kind}:{hit.id}"] = hit


def format_hits(hits: list[SearchHit]) -> str:
    if not hits:
        return "No results."
    lines = []
    for hit in hits:
        if hit.kind == "faq":
            lines.append(f"[faq:{hit.id}] Q: {hit.text}\nA: {hit.answer}")
        else:
            page = f", page {hit.page_number}" if hit.page_number else ""
            lines.append(f"[chunk:{hit.id}] ({hit.source}{page}) {hit.text}")
    return "\n\n".join(lines)


def build_tools(
    conn: Any, embedder: Embedder, workspace_id: str, log: ToolLog, limit: int
) -> list[BaseTool]:
    async def search_knowledge(query: str) -> str:
        """Search the business's documents (policies, product information) for passages about the query."""
        hits = [
            h
            for h in await search(
                conn, embedder, workspace_id=workspace_id, query=query, limit=limit
            )
            if h.kind == "chunk"
        ]
        log.remember(hits)
        return format_hits(hits)

    async def find_answers(query: str) -> str:
        """Look up the business's FAQ for answers to the query."""
        hits = [
            h
            for h in await search(
                conn, embedder, workspace_id=workspace_id, query=query, limit=limit
            )
            if h.kind == "faq"
        ]
        log.remember(hits)
        return format_hits(hits)

    async def escalate(reason: str) -> str:
        """Hand the conversation to a human, with a short reason."""
        log.escalation = reason
        return "Escalated to staff."

    async def submit_reply(reply: str, confidence: float, source_ids: list[str]) -> str:
        """Submit the final reply, your confidence (0 to 1) that it is correct, and the ids of the sources used."""
        log.submitted = {"reply": reply, "confidence": confidence, "source_ids": source_ids}
        return "Reply submitted."

    return [
        StructuredTool.from_function(coroutine=fn, name=fn.__name__, description=fn.__doc__)
        for fn in (search_knowledge, find_answers, escalate, submit_reply)
    ]
