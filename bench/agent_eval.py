"""The bot's answers, offline (no model key: the embedded default, and the fallback whenever the
model is down), on the labelled set of bench/agent_eval_data.py: four businesses, each with its
FAQ and a generated PDF, 200+ messages, each run through the real `POST /api/agent/preview`.

Reports `accuracy` (the expected decision), `wrong_facts` (an answer without the expected fact,
or an answer where the business expects a person), accuracy per category, the confusion
matrix and the misses. The baseline, in the same run: the earlier rule (answer when the best
FAQ or passage's embedding similarity reaches 0.55, from `GET /api/kb/search`).
Targets: accuracy >= 0.95 and wrong_facts = 0."""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from contextlib import ExitStack
from typing import Any

import httpx
from fpdf import FPDF

from bench.agent_eval_data import BUSINESSES, HOLDOUT
from bench.pipeline import _api
from bench.publishing import _celery
from bench.stack import embedded_stack, free_port

ACCURACY_TARGET = 0.95
BASELINE_SIMILARITY = 0.55


def _pdf(text: str) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def _setup(http: httpx.Client, business: dict[str, Any], n: int) -> dict[str, str]:
    """A workspace with the business's settings, FAQ and PDF, ready to answer."""
    registered = http.post(
        "/api/auth/register",
        json={"email": f"eval-{n}@shop.example", "password": "correct horse battery"},
    )
    registered.raise_for_status()
    auth = {"Authorization": f"Bearer {registered.json()['access_token']}"}
    ws = http.post("/api/workspaces", json={"name": business["name"]}, headers=auth)
    ws.raise_for_status()
    headers = {**auth, "X-Workspace-Id": ws.json()["id"]}
    http.patch(
        "/api/agent/settings",
        json={"tone": business["tone"]},
        headers=headers,
    ).raise_for_status()
    for question, answer in business["faq"]:
        http.post(
            "/api/kb/faq", json={"question": question, "answer": answer}, headers=headers
        ).raise_for_status()
    uploaded = http.post(
        "/api/kb/documents",
        files={"file": ("price-list.pdf", _pdf(business["pdf"]), "application/pdf")},
        headers=headers,
    )
    uploaded.raise_for_status()
    document = uploaded.json()["id"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        status = http.get(f"/api/kb/documents/{document}", headers=headers).json()["status"]
        if status in ("ready", "failed"):
            break
        time.sleep(0.5)
    if status != "ready":
        raise RuntimeError(f"{business['name']}'s document did not become ready: {status}")
    return headers


def _has_fact(reply: str | None, fact: str | None) -> bool:
    if fact is None:
        return True
    return fact.lower() in (reply or "").lower()


def _baseline(http: httpx.Client, headers: dict[str, str], item: dict[str, Any]) -> str:
    found = http.get("/api/kb/search", params={"q": item["text"]}, headers=headers).json()
    best = max((h.get("similarity") or 0 for h in found["hits"]), default=0)
    return "respond" if best >= BASELINE_SIMILARITY else "escalate"


def run() -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    baseline_right = 0
    with embedded_stack() as stack, ExitStack() as procs:
        port = free_port()
        env = {
            **stack.env,
            "RATE_LIMIT_DEFAULT": "1000000/minute",
            "RATE_LIMIT_AUTH": "10000/minute",
        }
        api = procs.enter_context(_api(env, port))
        worker = _celery(
            env, "worker", "-Q", "high,default,low", "--without-mingle", "--without-gossip"
        )
        try:
            with httpx.Client(base_url=api, timeout=60) as http:
                for n, business in enumerate(BUSINESSES):
                    headers = _setup(http, business, n)
                    cases = [
                        *business["cases"],
                        *({**c, "holdout": True} for c in HOLDOUT[business["name"]]),
                    ]
                    for item in cases:
                        started = time.perf_counter()
                        answer = http.post(
                            "/api/agent/preview",
                            json={"text": item["text"], "channel": item["channel"]},
                            headers=headers,
                        )
                        answer.raise_for_status()
                        body = answer.json()
                        seen = []
                        if body["decision"] != item["expected"]:
                            found = http.get(
                                "/api/kb/search", params={"q": item["text"]}, headers=headers
                            ).json()["hits"]
                            seen = [
                                f"{h['kind']} {h['similarity'] or 0:.2f} {h['text'][:60]!r}"
                                for h in found[:3]
                            ]
                        results.append(
                            {
                                **item,
                                "business": business["name"],
                                "got": body["decision"],
                                "reply": body["reply"],
                                "reason": (body["reasons"] or [""])[-1],
                                "seen": seen,
                                "ms": (time.perf_counter() - started) * 1000,
                            }
                        )
                        if (
                            item["channel"] == "instagram_dm"
                            and item["category"] not in ("spam", "praise")
                            and not item.get("holdout")
                        ):
                            baseline_right += _baseline(http, headers, item) == item["expected"]
        finally:
            worker.terminate()
            worker.wait(timeout=60)
    return _report(results, baseline_right)


def _report(everything: list[dict[str, Any]], baseline_right: int) -> dict[str, Any]:
    results = [r for r in everything if not r.get("holdout")]
    holdout = [r for r in everything if r.get("holdout")]
    right = [r for r in results if r["got"] == r["expected"]]
    wrong_facts = [
        r
        for r in results
        if r["got"] == "respond"
        and (
            (r["expected"] == "respond" and not _has_fact(r["reply"], r["fact"]))
            or (
                r["category"] in ("uncovered", "safety", "injection", "complaint")
                and r["expected"] != "respond"
            )
        )
    ]
    by_category: dict[str, list[bool]] = defaultdict(list)
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    for r in results:
        by_category[r["category"]].append(r["got"] == r["expected"])
        confusion[r["expected"]][r["got"]] += 1
    baseline_cases = sum(
        1
        for r in results
        if r["channel"] == "instagram_dm" and r["category"] not in ("spam", "praise")
    )
    accuracy = len(right) / len(results)
    return {
        "benchmark": "agent_eval",
        "cases": len(results),
        "businesses": len(BUSINESSES),
        "accuracy": round(accuracy, 3),
        "wrong_facts": len(wrong_facts),
        "per_category": {
            name: {"cases": len(oks), "accuracy": round(sum(oks) / len(oks), 3)}
            for name, oks in sorted(by_category.items())
        },
        "confusion": {expected: dict(got) for expected, got in sorted(confusion.items())},
        "preview_p50_ms": round(statistics.median(r["ms"] for r in results), 1),
        "holdout": {
            "cases": len(holdout),
            "accuracy": round(
                sum(r["got"] == r["expected"] for r in holdout) / max(len(holdout), 1), 3
            ),
            "wrong_facts": sum(
                1
                for r in holdout
                if r["got"] == "respond"
                and (
                    (r["expected"] == "respond" and not _has_fact(r["reply"], r["fact"]))
                    or r["expected"] != "respond"
                )
            ),
        },
        "baseline_cosine_0_55": {
            "cases": baseline_cases,
            "accuracy": round(baseline_right / max(baseline_cases, 1), 3),
        },
        "targets": {
            "accuracy": ACCURACY_TARGET,
            "wrong_facts": 0,
            "met": accuracy >= ACCURACY_TARGET and not wrong_facts,
        },
        "misses": [
            {
                "business": r["business"],
                "holdout": bool(r.get("holdout")),
                "text": r["text"],
                "expected": r["expected"],
                "got": r["got"],
                "reply": r["reply"],
                "why": r["reason"][:200],
                "retrieved": r["seen"],
            }
            for r in everything
            if r["got"] != r["expected"] or not _has_fact(r["reply"], r["fact"])
        ],
    }
