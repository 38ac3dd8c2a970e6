"""The knowledge base: documents (upload with progress that follows ingestion), the FAQ (add,
edit, CSV import), a search box that shows what the bot would read, and the playground beside it
(the whole agent on a sample message, nothing sent)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from app.agent.router import PreviewIn, preview
from app.console.context import Change, Console, Page
from app.console.render import field_errors, on_the_form, render
from app.errors import AppError
from app.kb import suggestions
from app.kb.router import (
    create_faq,
    import_faq,
    list_documents,
    list_faq,
    search,
    update_faq,
    upload_document,
)
from app.kb.schemas import FaqIn
from app.kb.service import embedder_of

router = APIRouter(include_in_schema=False)

FINISHED = ("ready", "failed")


async def _documents(request: Request, console: Console) -> list[Any]:
    return (await list_documents(request, console.ws, cursor=None, limit=50)).items


async def _render(
    request: Request, console: Console, block: str | None, code: int = 200, **context: Any
) -> HTMLResponse:
    documents = await _documents(request, console) if block in (None, "documents") else []
    faq = (
        (await list_faq(request, console.ws, cursor=None, limit=200)).items
        if block in (None, "faq")
        else []
    )
    offered = (
        await suggestions.list_suggestions(console.ws, limit=20, after=None)
        if block in (None, "faq") and console.ws.has("manager")
        else []
    )
    values: dict[str, Any] = {
        "suggestions": offered,
        "documents": documents,
        "ingesting": any(d.status not in FINISHED for d in documents),
        "faq": faq,
        "errors": {},
        "faq_errors": {},
        "can_edit": console.ws.has("manager"),
        "zone": console.workspace.timezone,
        **context,
    }
    return render(request, "knowledge.html", values, block=block, status=code)


@router.get("/kb", response_class=HTMLResponse)
async def knowledge(
    request: Request,
    console: Page,
    part: Annotated[Literal["documents", "faq", "page"], Query()] = "page",
) -> HTMLResponse:
    return await _render(request, console, None if part == "page" else part)


@router.post("/kb/documents", response_class=HTMLResponse)
async def upload(
    request: Request,
    console: Change,
    file: Annotated[UploadFile, File()],
    title: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    try:
        await upload_document(request, console.ws, file=file, title=title.strip() or None)
    except AppError as exc:
        if not on_the_form(exc):
            raise
        return await _render(request, console, "documents", 422, errors={"file": exc.message})
    return await _render(request, console, "documents")


def _faq_in(question: str, answer: str) -> FaqIn:
    return FaqIn(question=question.strip(), answer=answer.strip())


@router.post("/kb/faq", response_class=HTMLResponse)
async def add_faq(
    request: Request,
    console: Change,
    question: Annotated[str, Form(max_length=5000)] = "",
    answer: Annotated[str, Form(max_length=20000)] = "",
) -> HTMLResponse:
    try:
        await create_faq(request, console.ws, _faq_in(question, answer))
    except ValidationError as exc:
        return await _render(
            request,
            console,
            "faq",
            422,
            faq_errors={"new": field_errors(exc)},
            draft={"question": question, "answer": answer},
        )
    return await _render(request, console, "faq")


@router.post("/kb/faq/{faq_id:uuid}", response_class=HTMLResponse)
async def edit_faq(
    request: Request,
    console: Change,
    faq_id: UUID,
    question: Annotated[str, Form(max_length=5000)] = "",
    answer: Annotated[str, Form(max_length=20000)] = "",
) -> HTMLResponse:
    try:
        await update_faq(request, console.ws, faq_id, _faq_in(question, answer))
    except ValidationError as exc:
        return await _render(
            request, console, "faq", 422, faq_errors={str(faq_id): field_errors(exc)}
        )
    return await _render(request, console, "faq")


@router.post("/kb/faq-import", response_class=HTMLResponse)
async def faq_import(
    request: Request, console: Change, file: Annotated[UploadFile, File()]
) -> HTMLResponse:
    try:
        result = await import_faq(request, console.ws, file=file)
    except AppError as exc:
        if not on_the_form(exc):
            raise
        return await _render(
            request, console, "faq", 422, faq_errors={"import": {"file": exc.message}}
        )
    return await _render(request, console, "faq", imported=result.imported)


@router.get("/kb/search", response_class=HTMLResponse)
async def search_box(
    request: Request, console: Page, q: Annotated[str, Query(max_length=500)] = ""
) -> HTMLResponse:
    hits = (await search(request, console.ws, q=q.strip())).hits if q.strip() else []
    return render(request, "knowledge.html", {"q": q, "hits": hits}, block="hits")


@router.post("/kb/playground", response_class=HTMLResponse)
async def playground(
    request: Request,
    console: Change,
    text: Annotated[str, Form(max_length=8000)] = "",
    channel: Annotated[str, Form(max_length=40)] = "instagram_dm",
) -> HTMLResponse:
    try:
        body = PreviewIn.model_validate({"text": text.strip(), "channel": channel})
    except ValidationError as exc:
        return render(
            request,
            "knowledge.html",
            {"play_errors": field_errors(exc), "asked": text},
            block="playground",
            status=422,
        )
    result = await preview(request, console.ws, body)
    return render(
        request,
        "knowledge.html",
        {"result": result, "asked": text, "play_errors": {}},
        block="playground",
    )


@router.post("/kb/suggestions/{escalation_id:uuid}", response_class=HTMLResponse)
async def decide_suggestion(
    request: Request,
    console: Change,
    escalation_id: UUID,
    decision: Annotated[Literal["accept", "dismiss"], Form()],
    question: Annotated[str, Form(max_length=5000)] = "",
    answer: Annotated[str, Form(max_length=20000)] = "",
) -> HTMLResponse:
    """An answer staff gave to an escalation, offered as a FAQ entry: add it (as offered or
    edited) or leave it out."""
    if decision == "dismiss":
        await suggestions.dismiss(console.ws, escalation_id)
        return await _render(request, console, "faq")
    try:
        entry = _faq_in(question, answer)
    except ValidationError as exc:
        return await _render(
            request, console, "faq", 422, faq_errors={str(escalation_id): field_errors(exc)}
        )
    await suggestions.accept(
        console.ws,
        await embedder_of(console.ws, request.app.state.embedders),
        escalation_id,
        question=entry.question,
        answer=entry.answer,
    )
    return await _render(request, console, "faq")
