"""The model's tools. Tenant ids and connections come from the run's config, never from the
model: the model chooses only the query, the reason, the reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, StructuredTool

from app.kb.service import SearchHit


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


async def _search(config: RunnableConfig, query: str, kind: str) -> str:
    run = config["configurable"]["run"]
    deps = run.deps
    hits = await deps.knowledge.search(query, limit=deps.settings.kb_search_results)
    hits = [h for h in hits if h.kind == kind]
    run.log.remember(hits)
    return format_hits(hits)


async def search_knowledge(query: str, config: RunnableConfig) -> str:
    """Search the business's documents (policies, product information) for passages about the query."""
    return await _search(config, query, "chunk")


async def find_answers(query: str, config: RunnableConfig) -> str:
    """Look up the business's FAQ for answers to the query."""
    return await _search(config, query, "faq")


async def escalate(reason: str, config: RunnableConfig) -> str:
    """Hand the conversation to a human, with a short reason."""
    config["configurable"]["run"].log.escalation = reason
    return "Escalated to staff."


async def submit_reply(
    reply: str, confidence: float, source_ids: list[str], config: RunnableConfig
) -> str:
    """Submit the final reply, your confidence (0 to 1) that it is correct, and the ids of the sources used."""
    config["configurable"]["run"].log.submitted = {
        "reply": reply,
        "confidence": confidence,
        "source_ids": source_ids,
    }
    return "Reply submitted."


TOOLS: list[BaseTool] = [
    StructuredTool.from_function(coroutine=fn, name=fn.__name__, description=fn.__doc__)
    for fn in (search_knowledge, find_answers, escalate, submit_reply)
]
