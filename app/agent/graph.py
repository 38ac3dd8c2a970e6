"""The LangGraph agent: screening (the business's rules, then moderation of the customer's text),
retrieval, a drafting step (a tool-calling chat model, or the offline responder), and review
(output guardrails, confidence, moderation of the draft). Screening may settle the decision; the
graph then goes straight to the end. Few, coarse nodes: each step costs LangGraph's machinery."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode

from app.agent.ai_settings import AiSettings
from app.agent.decisions import Action, Decision
from app.agent.guardrails import check_inbound, check_outbound
from app.agent.moderation import Moderator
from app.agent.prompts import load_prompt, render
from app.agent.responder import Thresholds, in_customer_language, offline_reply
from app.agent.small_talk import recognise
from app.agent.tools import TOOLS, ToolLog, format_hits
from app.config import Settings
from app.kb.embeddings import Embedder
from app.kb.service import KnowledgeReader, SearchHit

CHANNEL_LABELS = {
    "instagram_dm": "Instagram Direct",
    "instagram_comment": "an Instagram comment",
    "whatsapp": "WhatsApp",
}


class AgentState(TypedDict, total=False):
    text: str
    channel: str
    has_attachments: bool
    history: list[tuple[str, str]]
    hits: list[SearchHit]
    messages: Annotated[list[AnyMessage], add_messages]
    rounds: int
    draft: Decision
    decision: Decision
    reasons: Annotated[list[str], operator.add]


@dataclass
class AgentDeps:
    knowledge: KnowledgeReader
    embedder: Embedder
    moderator: Moderator
    chat_model: BaseChatModel | None
    settings: Settings
    ai: AiSettings
    now: datetime | None = None


@dataclass
class Run:
    """One agent run: its dependencies, what the tools saw, the rendered prompt."""

    deps: AgentDeps
    log: ToolLog = field(default_factory=ToolLog)
    prompt_cache: dict[str, str] = field(default_factory=dict)


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


@lru_cache(maxsize=2)
def compiled_graph(with_model: bool) -> Any:
    """Compiled once per process (compiling, and turning tools into schemas, cost more than a
    whole offline run); each run's dependencies travel in the config (see `run_config`)."""

    async def screen(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """The business's rules first (hours, ignore rules, escalation words), then moderation of
        what the customer wrote; either may settle the decision."""
        run = _run(config)
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

    async def retrieve(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        run = _run(config)
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

    async def offline(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        run = _run(config)
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
        run = _run(config)
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
        model = _bound(deps.chat_model)
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
        run = _run(config)
        log, settings = run.log, run.deps.settings
        if log.submitted is not None or log.escalation is not None:
            return "review"
        if state.get("rounds", 0) >= settings.agent_max_tool_rounds:
            return "review"
        return "agent"

    async def review(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """The draft (the offline responder's, or the model's work settled here) against the
        output guardrails, the confidence threshold and moderation."""
        run = _run(config)
        ai = run.deps.ai
        log = run.log
        reasons: list[str] = []
        draft = state.get("draft")
        if draft is None:
            draft, why = _draft_from_model(state, run)
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
            reason = f"confidence {draft.confidence:.2f} below the threshold {ai.confidence_threshold:.2f}"
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

    def settled_or(next_node: str) -> Any:
        async def route(state: AgentState) -> str:
            return END if state.get("decision") is not None else next_node

        return route

    graph = StateGraph(AgentState)
    graph.add_node("screen", screen)
    graph.add_node("retrieve", retrieve)
    graph.add_node("review", review)
    graph.add_edge(START, "screen")
    graph.add_conditional_edges("screen", settled_or("retrieve"))
    if not with_model:
        graph.add_node("offline", offline)
        graph.add_edge("retrieve", "offline")
        graph.add_edge("offline", "review")
    else:
        graph.add_node("agent", agent)
        graph.add_node("tools", ToolNode(TOOLS))
        graph.add_edge("retrieve", "agent")
        graph.add_conditional_edges("agent", after_agent, {"tools": "tools", "review": "review"})
        graph.add_conditional_edges("tools", after_tools, {"agent": "agent", "review": "review"})
    graph.add_edge("review", END)
    return graph.compile()


def _draft_from_model(state: AgentState, run: Run) -> tuple[Decision, str]:
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


def _run(config: RunnableConfig) -> Run:
    run: Run = config["configurable"]["run"]
    return run


# bounded: every model comes from a process's ChatModels, one per (model, temperature)
_BOUND: dict[int, tuple[BaseChatModel, Any]] = {}


def _bound(model: BaseChatModel) -> Any:
    """`bind_tools` converts every tool to an OpenAI schema: do it once per model object."""
    cached = _BOUND.get(id(model))
    if cached is None or cached[0] is not model:
        cached = (model, model.bind_tools(TOOLS))
        _BOUND[id(model)] = cached
    return cached[1]


def run_config(deps: AgentDeps) -> tuple[Any, RunnableConfig]:
    """The graph to use and the config that carries this run's dependencies and tool log."""
    run = Run(deps=deps)
    return compiled_graph(deps.chat_model is not None), {"configurable": {"run": run}}


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


def _with_usage(decision: Decision, messages: list[AnyMessage]) -> Decision:
    for message in messages:
        usage = getattr(message, "usage_metadata", None) or {}
        decision.prompt_tokens += int(usage.get("input_tokens", 0))
        decision.completion_tokens += int(usage.get("output_tokens", 0))
    return decision
