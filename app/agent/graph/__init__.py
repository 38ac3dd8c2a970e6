"""The LangGraph agent: screening (the business's rules, then moderation of the customer's text),
retrieval, a drafting step (a tool-calling chat model, or the offline responder), and review
(output guardrails, confidence, moderation of the draft). Screening may settle the decision; the
graph then goes straight to the end. Few, coarse nodes: each step costs LangGraph's machinery.

One module per step; this one wires them. The graph is compiled once per process and each run's
dependencies travel in its config (`run_config`)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.prebuilt import ToolNode

from app.agent.graph.drafting import after_agent, after_tools, agent, offline, system_prompt
from app.agent.graph.retrieval import retrieve
from app.agent.graph.review import review
from app.agent.graph.screening import screen
from app.agent.graph.state import AgentDeps, AgentState, Run
from app.agent.tools import TOOLS

__all__ = ["AgentDeps", "AgentState", "compiled_graph", "run_config", "system_prompt"]


def settled_or(next_node: str) -> Any:
    async def route(state: AgentState) -> str:
        return END if state.get("decision") is not None else next_node

    return route


@lru_cache(maxsize=2)
def compiled_graph(with_model: bool) -> Any:
    """Compiled once per process (compiling, and turning tools into schemas, cost more than a
    whole offline run)."""
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


def run_config(deps: AgentDeps) -> tuple[Any, RunnableConfig]:
    """The graph to use and the config that carries this run's dependencies and tool log."""
    run = Run(deps=deps)
    return compiled_graph(deps.chat_model is not None), {"configurable": {"run": run}}
