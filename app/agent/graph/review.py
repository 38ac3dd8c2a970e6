"""Review: the draft against the output guardrails, the confidence threshold and moderation."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig

from app.agent.decisions import Action, Decision
from app.agent.graph.drafting import draft_from_model, system_prompt
from app.agent.graph.state import AgentState, run_of
from app.agent.guardrails import check_outbound


async def review(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
    """The draft (the offline responder's, or the model's work settled here) against the
    output guardrails, the confidence threshold and moderation."""
    run = run_of(config)
    ai = run.deps.ai
    log = run.log
    reasons: list[str] = []
    draft = state.get("draft")
    if draft is None:
        draft, why = draft_from_model(state, run)
        reasons.append(why)
    if draft.action != Action.RESPOND or not draft.reply:
        return {"decision": draft, "reasons": reasons}
    sources = [h.text + " " + (h.answer or "") for h in log.hits.values()]
    conversation = " ".join([state["text"], *(t for _, t in state.get("history", []))])
    reply, problems = check_outbound(
        ai,
        channel=state["channel"],
        reply=draft.reply,
        sources=sources,
        system_prompt=run.prompt_cache.get("system") or system_prompt(ai, state["channel"]),
        conversation_text=conversation,
    )
    if problems:
        return {
            "decision": _escalate_with_draft(draft, problems),
            "reasons": [*reasons, *problems],
        }
    if (draft.confidence or 0) < ai.confidence_threshold:
        reason = (
            f"confidence {draft.confidence:.2f} below the threshold {ai.confidence_threshold:.2f}"
        )
        return {
            "decision": _escalate_with_draft(draft, [reason]),
            "reasons": [*reasons, reason],
        }
    draft.reply = reply
    reasons.append("output checks passed")
    if not reply:
        return {"decision": draft, "reasons": reasons}
    result = await run.deps.moderator.check(reply)
    if result.flagged:
        reason = f"draft flagged by moderation ({result.provider})"
        return {
            "decision": _escalate_with_draft(draft, [reason]),
            "reasons": [*reasons, reason],
        }
    reasons.append(f"draft moderation ({result.provider}): ok")
    return {"decision": draft, "reasons": reasons}


def _escalate_with_draft(draft: Decision, problems: list[str]) -> Decision:
    return Decision(
        Action.ESCALATE,
        draft=draft.reply,
        confidence=draft.confidence,
        citations=draft.citations,
        model=draft.model,
        prompt_tokens=draft.prompt_tokens,
        completion_tokens=draft.completion_tokens,
        reasons=problems,
    )
