"""The first node: the business's rules, then moderation of what the customer wrote."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from langchain_core.runnables import RunnableConfig

from app.agent.decisions import Action, Decision
from app.agent.graph.state import AgentState, run_of
from app.agent.guardrails import check_inbound


async def screen(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
    """The business's rules first (hours, ignore rules, escalation words), then moderation of
    what the customer wrote; either may settle the decision."""
    run = run_of(config)
    deps = run.deps
    ai = run.deps.ai
    verdict = check_inbound(
        ai,
        channel=state["channel"],
        text=state.get("text"),
        has_attachments=state.get("has_attachments", False),
        now=deps.now or datetime.now(UTC),
    )
    if verdict.action is not None:
        if verdict.action == Action.RESPOND:  # away message
            decision = Decision(
                Action.RESPOND, reply=ai.away_message, confidence=1.0, model="rules"
            )
        else:
            decision = Decision(verdict.action, model="rules")
        return {"decision": decision, "reasons": [verdict.reason]}
    result = await deps.moderator.check(state["text"])
    if not result.flagged:
        return {"reasons": [verdict.reason, f"inbound moderation ({result.provider}): ok"]}
    action = Action.HIDE if state["channel"] == "instagram_comment" else Action.ESCALATE
    reason = f"inbound flagged by moderation ({result.provider}): {', '.join(result.categories) or 'flagged'}"
    return {
        "decision": Decision(action, model=result.provider),
        "reasons": [verdict.reason, reason],
    }
