"""Drafting: the offline responder, or a tool-calling chat model (with the routes that loop it
through its tools), and turning what the model did into a draft decision."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig

from app.agent.ai_settings import AiSettings
from app.agent.decisions import Action, Decision
from app.agent.graph.state import AgentState, Run, run_of
from app.agent.prompts import load_prompt, render
from app.agent.responder import Thresholds, in_customer_language, offline_reply
from app.agent.tools import TOOLS, format_hits

CHANNEL_LABELS = {
    "instagram_dm": "Instagram Direct",
    "instagram_comment": "an Instagram comment",
    "whatsapp": "WhatsApp",
}


def system_prompt(ai: AiSettings, channel: str) -> str:
    prompt = render(
        "system",
        business_name=ai.business_name,
        channel_label=CHANNEL_LABELS.get(channel, channel),
        persona=ai.persona,
        tone=ai.tone,
        max_chars=ai.max_chars(channel),
        language_rule=(
            "Reply in the language the customer wrote in."
            if ai.reply_in_customer_language
            else "Reply in the business's language."
        ),
        channel_rule=load_prompt("comment") if channel == "instagram_comment" else "",
    )
    return prompt


async def offline(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
    run = run_of(config)
    deps = run.deps
    ai = run.deps.ai
    settings = run.deps.settings
    draft = await offline_reply(
        question=state["text"],
        hits=state.get("hits", []),
        faq_entries=await deps.knowledge.faq_entries(limit=settings.offline_faq_scan),
        limits=Thresholds(
            faq=settings.offline_faq_similarity,
            line=settings.offline_chunk_similarity,
            margin=settings.offline_margin,
            confidence=ai.confidence_threshold,
        ),
        business_name=ai.business_name,
        tone=ai.tone,
        ignore_praise=bool((ai.ignore_rules or {}).get("praise", False)),
    )
    if ai.reply_in_customer_language:
        draft = in_customer_language(draft, state["text"])
    return {"draft": draft, "reasons": draft.reasons}


async def agent(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
    run = run_of(config)
    deps = run.deps
    ai = run.deps.ai
    prompt_cache = run.prompt_cache
    assert deps.chat_model is not None
    messages = state.get("messages") or []
    if not messages:
        prompt_cache["system"] = system_prompt(ai, state["channel"])
        context = format_hits(state.get("hits", []))
        messages = [
            SystemMessage(prompt_cache["system"] + "\n\nKnowledge that may help:\n" + context)
        ]
        for role, text in state.get("history", []):
            messages.append(HumanMessage(text) if role == "customer" else AIMessage(text))
        messages.append(HumanMessage(state["text"]))
    model = with_tools(deps.chat_model)
    response = await model.ainvoke(messages)
    new = [*messages, response] if not state.get("messages") else [response]
    return {"messages": new, "rounds": state.get("rounds", 0) + 1}


# Routes are coroutines: LangGraph runs a plain function in a thread pool executor.
async def after_agent(state: AgentState) -> str:
    last = state["messages"][-1]
    if isinstance(last, AIMessage) and last.tool_calls:
        return "tools"
    return "review"


async def after_tools(state: AgentState, config: RunnableConfig) -> str:
    run = run_of(config)
    log, settings = run.log, run.deps.settings
    if log.submitted is not None or log.escalation is not None:
        return "review"
    if state.get("rounds", 0) >= settings.agent_max_tool_rounds:
        return "review"
    return "agent"


def draft_from_model(state: AgentState, run: Run) -> tuple[Decision, str]:
    """Turn what the model did (its tool calls, or plain text) into a draft decision."""
    deps = run.deps
    log = run.log
    messages = state.get("messages", [])
    model_name = getattr(deps.chat_model, "model_name", None) or type(deps.chat_model).__name__
    if log.escalation is not None:
        return (
            _with_usage(Decision(Action.ESCALATE, model=model_name), messages),
            f"model escalated: {log.escalation}",
        )
    if log.submitted is not None:
        cited = [log.hits[s] for s in log.submitted.get("source_ids", []) if s in log.hits]
        draft = _with_usage(
            Decision(
                Action.RESPOND,
                reply=str(log.submitted["reply"]),
                confidence=float(log.submitted.get("confidence", 0)),
                citations=[
                    {
                        "kind": h.kind,
                        "id": h.id,
                        "title": h.text if h.kind == "faq" else h.source,
                        "page": h.page_number,
                    }
                    for h in cited
                ],
                model=model_name,
            ),
            messages,
        )
        return draft, "model submitted a reply"
    last = messages[-1] if messages else None
    text = last.content if isinstance(last, AIMessage) and isinstance(last.content, str) else ""
    if text.strip():
        # answered in plain text instead of submitting: usable, but unverified confidence
        return (
            _with_usage(
                Decision(Action.RESPOND, reply=text.strip(), confidence=0.5, model=model_name),
                messages,
            ),
            "model answered without submit_reply (confidence 0.5)",
        )
    return (
        _with_usage(Decision(Action.ESCALATE, model=model_name), messages),
        "model gave no answer",
    )


# bounded: every model comes from a process's ChatModels, one per (model, temperature)
_BOUND: dict[int, tuple[BaseChatModel, Any]] = {}


def with_tools(model: BaseChatModel) -> Any:
    """`bind_tools` converts every tool to an OpenAI schema: do it once per model object."""
    cached = _BOUND.get(id(model))
    if cached is None or cached[0] is not model:
        cached = (model, model.bind_tools(TOOLS))
        _BOUND[id(model)] = cached
    return cached[1]


def _with_usage(decision: Decision, messages: list[AnyMessage]) -> Decision:
    for message in messages:
        usage = getattr(message, "usage_metadata", None) or {}
        decision.prompt_tokens += int(usage.get("input_tokens", 0))
        decision.completion_tokens += int(usage.get("output_tokens", 0))
    return decision
