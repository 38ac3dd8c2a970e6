from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile

from app.deps import CurrentWorkspace
from app.errors import NotFound
from app.kb import repo, service, suggestions
from app.kb.schemas import (
    DocumentOut,
    FaqImportOut,
    FaqIn,
    FaqOut,
    FaqSuggestionAccept,
    FaqSuggestionOut,
    SearchHitOut,
    SearchOut,
)
from app.pagination import CursorParam, Limit, Page, page_of, time_id_cursor
from app.ratelimit import api_limit

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])


@router.post("/documents", response_model=DocumentOut, status_code=202)
@api_limit
async def upload_document(
    request: Request,
    ws: CurrentWorkspace,
    file: Annotated[UploadFile, File()],
    title: Annotated[str | None, Form(max_length=200)] = None,
) -> DocumentOut:
    """Upload a PDF, text or Markdown file; it is read and embedded in the background."""
    state = request.app.state
    data = await file.read(state.settings.kb_max_upload_bytes + 1)
    document = await service.upload_document(
        ws,
        settings=state.settings,
        redis=state.redis,
        filename=file.filename,
        content_type=file.content_type,
        data=data,
        title=title,
    )
    return DocumentOut(**document)


@router.get("/documents", response_model=Page[DocumentOut])
@api_limit
async def list_documents(
    request: Request, ws: CurrentWorkspace, cursor: CursorParam = None, limit: Limit = 50
) -> Page[DocumentOut]:
    """Uploaded documents, newest first, with their progress."""
    async with ws.session() as conn:
        rows = await repo.list_documents(
            conn, workspace_id=ws.workspace_id, limit=limit + 1, after=time_id_cursor(cursor)
        )
    return page_of(
        rows, limit=limit, key=lambda r: (r["created_at"], r["id"]), item=lambda r: DocumentOut(**r)
    )


@router.get("/documents/{document_id:uuid}", response_model=DocumentOut)
@api_limit
async def get_document(request: Request, ws: CurrentWorkspace, document_id: UUID) -> DocumentOut:
    """Status and progress: pages read, chunks, chunks embedded, the error if it failed."""
    async with ws.session() as conn:
        document = await repo.get_document(
            conn, workspace_id=ws.workspace_id, document_id=document_id
        )
    if document is None:
        raise NotFound("no such document", error_code="document_not_found")
    return DocumentOut(**document)


@router.delete("/documents/{document_id:uuid}", status_code=204)
@api_limit
async def delete_document(request: Request, ws: CurrentWorkspace, document_id: UUID) -> Response:
    ws.require("manager")
    async with ws.session() as conn:
        if not await repo.delete_document(
            conn, workspace_id=ws.workspace_id, document_id=document_id
        ):
            raise NotFound("no such document", error_code="document_not_found")
    return Response(status_code=204)


@router.get("/faq", response_model=Page[FaqOut])
@api_limit
async def list_faq(
    request: Request, ws: CurrentWorkspace, cursor: CursorParam = None, limit: Limit = 50
) -> Page[FaqOut]:
    """The FAQ in the order it was written."""
    async with ws.session() as conn:
        rows = await repo.list_faq(
            conn, workspace_id=ws.workspace_id, limit=limit + 1, after=time_id_cursor(cursor)
        )
    return page_of(
        rows, limit=limit, key=lambda r: (r["created_at"], r["id"]), item=lambda r: FaqOut(**r)
    )


@router.get("/faq/suggestions", response_model=Page[FaqSuggestionOut])
@api_limit
async def faq_suggestions(
    request: Request, ws: CurrentWorkspace, cursor: CursorParam = None, limit: Limit = 50
) -> Page[FaqSuggestionOut]:
    """New FAQ entries from what staff answered to escalations, newest first (managers)."""
    rows = await suggestions.list_suggestions(ws, limit=limit + 1, after=time_id_cursor(cursor))
    return page_of(
        rows,
        limit=limit,
        key=lambda r: (r["created_at"], r["escalation_id"]),
        item=lambda r: FaqSuggestionOut(**r),
    )


@router.post("/faq/suggestions/{escalation_id:uuid}/accept", response_model=FaqOut, status_code=201)
@api_limit
async def accept_faq_suggestion(
    request: Request, ws: CurrentWorkspace, escalation_id: UUID, body: FaqSuggestionAccept
) -> FaqOut:
    """Add it to the FAQ, as offered or with your edits; 409 when someone decided already."""
    return FaqOut(
        **await suggestions.accept(
            ws,
            await service.embedder_of(ws, request.app.state.embedders),
            escalation_id,
            question=body.question,
            answer=body.answer,
        )
    )


@router.post(
    "/faq/suggestions/{escalation_id:uuid}/dismiss", status_code=204, response_class=Response
)
@api_limit
async def dismiss_faq_suggestion(
    request: Request, ws: CurrentWorkspace, escalation_id: UUID
) -> Response:
    await suggestions.dismiss(ws, escalation_id)
    return Response(status_code=204)


@router.post("/faq", response_model=FaqOut, status_code=201)
@api_limit
async def create_faq(request: Request, ws: CurrentWorkspace, body: FaqIn) -> FaqOut:
    return FaqOut(
        **await service.create_faq(
            ws,
            await service.embedder_of(ws, request.app.state.embedders),
            question=body.question,
            answer=body.answer,
        )
    )


@router.put("/faq/{faq_id:uuid}", response_model=FaqOut)
@api_limit
async def update_faq(request: Request, ws: CurrentWorkspace, faq_id: UUID, body: FaqIn) -> FaqOut:
    return FaqOut(
        **await service.update_faq(
            ws,
            await service.embedder_of(ws, request.app.state.embedders),
            faq_id=faq_id,
            question=body.question,
            answer=body.answer,
        )
    )


@router.delete("/faq/{faq_id:uuid}", status_code=204)
@api_limit
async def delete_faq(request: Request, ws: CurrentWorkspace, faq_id: UUID) -> Response:
    ws.require("manager")
    async with ws.session() as conn:
        if not await repo.delete_faq(conn, workspace_id=ws.workspace_id, faq_id=faq_id):
            raise NotFound("no such FAQ entry", error_code="faq_not_found")
    return Response(status_code=204)


@router.post("/faq/import", response_model=FaqImportOut, status_code=201)
@api_limit
async def import_faq(
    request: Request, ws: CurrentWorkspace, file: Annotated[UploadFile, File()]
) -> FaqImportOut:
    """CSV with `question` and `answer` columns; imports all rows or none."""
    state = request.app.state
    data = await file.read(state.settings.kb_max_upload_bytes + 1)
    return FaqImportOut(
        imported=await service.import_faq_csv(
            ws, await service.embedder_of(ws, state.embedders), state.settings, data
        )
    )


@router.get("/search", response_model=SearchOut)
@api_limit
async def search(
    request: Request, ws: CurrentWorkspace, q: Annotated[str, Query(min_length=1, max_length=500)]
) -> SearchOut:
    """What the bot would read for this question: ranked chunks and FAQ answers with scores."""
    state = request.app.state
    async with ws.session() as conn:
        hits = await service.search(
            conn,
            await service.workspace_embedder(conn, state.embedders, ws.workspace_id),
            workspace_id=ws.workspace_id,
            query=q,
            limit=state.settings.kb_search_results,
        )
    return SearchOut(query=q, hits=[SearchHitOut(**vars(h)) for h in hits])
