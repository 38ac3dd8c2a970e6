"""Knowledge-base rules: what may be uploaded, how a document becomes searchable chunks (in a
worker, with progress), and how staff and the agent search it."""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import redis.asyncio as aioredis

from app.agent import settings_repo
from app.config import Settings
from app.db.session import Claims, Pool, tenant_session
from app.db.trips import Query, fetch_all, tenant_trip
from app.errors import AppError, InvalidInput, NotFound, PayloadTooLarge
from app.kb import repo
from app.kb.chunking import chunk_pages
from app.kb.embeddings import Embedder, Embedders, EmbeddingUnavailable
from app.kb.extract import ExtractionError, detect_source_type, pdf_pages, text_pages
from app.logging import get_logger
from app.queue import INGEST_DOCUMENT, publish
from app.security.text_safety import holds_unstorable
from app.workspaces.context import WorkspaceContext

log = get_logger("kb")


class UnstorableText(AppError):
    status_code = 422
    error_code = "unstorable_characters"


class UnsupportedFileType(AppError):
    status_code = 415
    error_code = "unsupported_file_type"


@dataclass(frozen=True)
class SearchHit:
    """`score` is on one scale for FAQ answers and passages alike (the cosine similarity of the
    question and the text; 0 for a passage found by its words alone), so a list mixing both reads
    best first. `fused_rank` is a passage's hybrid (RRF) score, which ordered the passages."""

    kind: str  # "chunk" | "faq"
    id: str
    score: float
    similarity: float | None
    text: str
    source: str
    page_number: int | None = None
    answer: str | None = None
    fused_rank: float | None = None


async def upload_document(
    ws: WorkspaceContext,
    *,
    settings: Settings,
    redis: aioredis.Redis,
    filename: str | None,
    content_type: str | None,
    data: bytes,
    title: str | None,
) -> dict[str, Any]:
    ws.require("manager")
    if len(data) > settings.kb_max_upload_bytes:
        raise PayloadTooLarge(
            f"files up to {settings.kb_max_upload_bytes} bytes are accepted",
            error_code="file_too_large",
        )
    if not data:
        raise InvalidInput("the file is empty", error_code="empty_file")
    if holds_unstorable(title or "") or holds_unstorable(filename or ""):
        raise UnstorableText("the title or file name holds a NUL character: rename it")
    source_type = detect_source_type(filename, content_type, data[:8])
    if source_type is None:
        raise UnsupportedFileType("upload a PDF, a plain-text or a Markdown file")
    async with ws.session() as conn:
        document = await repo.create_document(
            conn,
            workspace_id=ws.workspace_id,
            title=(title or filename or "Untitled")[:200],
            source_type=source_type,
            filename=filename,
            content_type=content_type,
            data=data,
        )
    # Postgres holds the upload: if the broker is down the document stays pending and the
    # sweeper (or a retry from staff) picks it up.
    await publish(redis, [(INGEST_DOCUMENT, [str(document["id"]), str(ws.workspace_id)])])
    return document


async def workspace_provider(conn: Any, workspace_id: UUID | str) -> str | None:
    """The workspace's chosen embedding provider; None means the deployment's default."""
    return await settings_repo.embedding_provider(conn, workspace_id)


async def workspace_embedder(conn: Any, embedders: Embedders, workspace_id: UUID | str) -> Embedder:
    """The embedder of the workspace's chosen provider (inside the caller's session)."""
    return embedders.get(await workspace_provider(conn, workspace_id))


async def embedder_of(ws: WorkspaceContext, embedders: Embedders) -> Embedder:
    async with ws.session() as conn:
        return await workspace_embedder(conn, embedders, ws.workspace_id)


async def ingest_document(
    pool: Pool, embedders: Embedders, settings: Settings, *, document_id: str, workspace_id: str
) -> str:
    """Worker: extract, chunk, embed in batches, store. Progress is committed as it goes; the
    chunks become searchable only when the document is `ready` (search joins on it)."""
    claims = Claims.for_worker(workspace_id)
    async with tenant_session(pool, claims) as conn:
        embedder = await workspace_embedder(conn, embedders, workspace_id)
        document = await repo.load_source(conn, workspace_id=workspace_id, document_id=document_id)
        if document is None:
            return "missing"
        if document["status"] == "ready":
            return "ready"
        if document["status"] == "processing" and not document["stale"]:
            return "busy"  # another run (a redelivered task) holds it
        await repo.delete_chunks(conn, document_id=document_id)  # a retried run starts clean
        await repo.update_progress(
            conn,
            document_id=document_id,
            status="processing",
            error=None,
            pages_read=0,
            chunks_total=0,
            chunks_embedded=0,
            embedding_model=embedder.model_id,
        )
    try:
        pages = await _read_pages(pool, claims, document_id, document, settings)
        chunks = chunk_pages(
            pages, size=settings.kb_chunk_chars, overlap=settings.kb_chunk_overlap_chars
        )
        chunks = [c for c in chunks if c.content.strip()]
        if not chunks:
            raise ExtractionError("no text could be extracted (a scanned or image-only PDF?)")
        if len(chunks) > settings.kb_max_chunks:
            raise ExtractionError(
                f"the document makes {len(chunks)} passages; up to {settings.kb_max_chunks} are "
                "accepted: split it into smaller files"
            )
        async with tenant_session(pool, claims) as conn:
            await repo.update_progress(conn, document_id=document_id, chunks_total=len(chunks))
        embedded = 0
        for start in range(0, len(chunks), settings.embedding_batch_size):
            batch = chunks[start : start + settings.embedding_batch_size]
            vectors = await embedder.embed_documents([c.content for c in batch])
            embedded += len(batch)
            async with tenant_session(pool, claims) as conn:
                await repo.insert_chunks(
                    conn,
                    workspace_id=workspace_id,
                    document_id=document_id,
                    model=embedder.model_id,
                    rows=[
                        (c.index, c.page_number, c.content, v)
                        for c, v in zip(batch, vectors, strict=True)
                    ],
                )
                await repo.update_progress(conn, document_id=document_id, chunks_embedded=embedded)
    except ExtractionError as exc:
        await _fail(pool, claims, document_id, str(exc))
        return "failed"
    except EmbeddingUnavailable:
        # an outage delays the document, it does not fail it: the task retries
        async with tenant_session(pool, claims) as conn:
            await repo.update_progress(
                conn,
                document_id=document_id,
                status="pending",
                error="waiting for the embedding service",
            )
        raise
    async with tenant_session(pool, claims) as conn:
        await repo.update_progress(conn, document_id=document_id, status="ready")
    log.info("document ready", document_id=document_id, chunks=len(chunks))
    return "ready"


async def _read_pages(
    pool: Pool, claims: Claims, document_id: str, document: dict[str, Any], settings: Settings
) -> list[str]:
    """The document's page texts, within the limits of KB_MAX_PAGES, KB_MAX_DOCUMENT_CHARS and
    KB_INGEST_TIMEOUT_S (each failing the document with the reason)."""
    data = bytes(document["source"])
    if document["source_type"] != "pdf":
        single = text_pages(data)
        _check_chars(len(single[0]), settings)
        async with tenant_session(pool, claims) as conn:
            await repo.update_progress(conn, document_id=document_id, pages_total=1, pages_read=1)
        return single
    count, page_iter = pdf_pages(data, max_content_bytes=settings.kb_max_page_content_bytes)
    if count > settings.kb_max_pages:
        raise ExtractionError(
            f"the PDF has {count} pages; documents of up to {settings.kb_max_pages} pages are "
            "accepted: split it into smaller files"
        )
    async with tenant_session(pool, claims) as conn:
        await repo.update_progress(conn, document_id=document_id, pages_total=count)
    deadline = time.monotonic() + settings.kb_ingest_timeout_s
    pages: list[str] = []
    chars = 0
    step = max(1, count // 20)
    for page in page_iter:
        pages.append(page)
        chars += len(page)
        _check_chars(chars, settings)
        if time.monotonic() > deadline:
            raise ExtractionError(
                f"reading the PDF took longer than {settings.kb_ingest_timeout_s:.0f} s; "
                "split it into smaller files or upload its text"
            )
        if len(pages) % step == 0 or len(pages) == count:
            async with tenant_session(pool, claims) as conn:
                await repo.update_progress(conn, document_id=document_id, pages_read=len(pages))
    return pages


def _check_chars(chars: int, settings: Settings) -> None:
    if chars > settings.kb_max_document_chars:
        raise ExtractionError(
            f"the document holds over {settings.kb_max_document_chars} characters of text; "
            "split it into smaller files"
        )


async def _fail(pool: Pool, claims: Claims, document_id: str, reason: str) -> None:
    async with tenant_session(pool, claims) as conn:
        await repo.delete_chunks(conn, document_id=document_id)
        await repo.update_progress(
            conn, document_id=document_id, status="failed", error=reason, chunks_embedded=0
        )
    log.info("document failed", document_id=document_id, reason=reason)


@dataclass(frozen=True)
class KnowledgeReader:
    """The agent's way into the knowledge base: the query is embedded outside any transaction
    (it may be a call to Gemini or OpenAI) and each search runs in a short tenant session of its
    own, so no connection is held while a model thinks."""

    pool: Pool
    claims: Claims
    embedder: Embedder
    workspace_id: str

    async def search(self, query: str, *, limit: int) -> list[SearchHit]:
        [hits] = await self.search_many([query], limit=limit)
        return hits

    async def faq_entries(self, *, limit: int) -> list[dict[str, Any]]:
        """The whole FAQ (a workspace's is small), for the offline responder to compare with
        every entry and not only the few the embedding ranked first."""
        async with tenant_session(self.pool, self.claims) as conn:
            return await repo.list_faq(conn, workspace_id=UUID(self.workspace_id), limit=limit)

    async def search_many(self, queries: list[str], *, limit: int) -> list[list[SearchHit]]:
        """Several queries' hits, embedded first and searched in one short transaction sent
        in one message (app/db/trips.py)."""
        vectors = [await self.embedder.embed_query(q) for q in queries]
        searches = [
            _search_queries(
                self.embedder, workspace_id=self.workspace_id, query=q, vector=v, limit=limit
            )
            for q, v in zip(queries, vectors, strict=True)
        ]
        async with tenant_trip(self.pool, self.claims) as trip:
            rows = await trip.send(*(q for pair in searches for q in pair), commit=True)
        return [_hits(rows[2 * n], rows[2 * n + 1]) for n in range(len(queries))]


async def search(
    conn: Any, embedder: Embedder, *, workspace_id: UUID | str, query: str, limit: int
) -> list[SearchHit]:
    """Chunks (hybrid) and FAQ answers, best first. Runs in the caller's tenant session."""
    vector = await embedder.embed_query(query)
    return await search_with_vector(
        conn, embedder, workspace_id=workspace_id, query=query, vector=vector, limit=limit
    )


# FAQ entries ranked by the embedding per search: enough for the offline responder to blend
# the similarity into most of its candidates (it reads the whole FAQ for its own ranking)
FAQ_HITS = 8


async def search_with_vector(
    conn: Any,
    embedder: Embedder,
    *,
    workspace_id: UUID | str,
    query: str,
    vector: list[float],
    limit: int,
) -> list[SearchHit]:
    chunks, faqs = _search_queries(
        embedder, workspace_id=workspace_id, query=query, vector=vector, limit=limit
    )
    return _hits(await fetch_all(conn, chunks), await fetch_all(conn, faqs))


def _search_queries(
    embedder: Embedder, *, workspace_id: UUID | str, query: str, vector: list[float], limit: int
) -> tuple[Query, Query]:
    """Chunks (hybrid) and FAQ answers for one query."""
    text = repo.vector_text(vector)
    return (
        repo.hybrid_search_query(
            workspace_id=workspace_id,
            query=query,
            embedding=text,
            model=embedder.model_id,
            dimensions=embedder.dimensions,
            limit=limit,
        ),
        repo.search_faq_query(
            workspace_id=workspace_id,
            query=query,
            embedding=text,
            model=embedder.model_id,
            limit=FAQ_HITS,
        ),
    )


def _hits(chunks: list[dict[str, Any]], faqs: list[dict[str, Any]]) -> list[SearchHit]:
    """Best first."""
    hits = [
        SearchHit(
            "faq",
            str(f["id"]),
            float(f["similarity"]),
            float(f["similarity"]),
            f["question"],
            "FAQ",
            answer=f["answer"],
        )
        for f in faqs
    ] + [
        SearchHit(
            "chunk",
            str(c["chunk_id"]),
            float(c["similarity"]) if c["similarity"] is not None else 0.0,
            float(c["similarity"]) if c["similarity"] is not None else None,
            c["content"],
            c["title"],
            page_number=c["page_number"],
            fused_rank=float(c["score"]),
        )
        for c in chunks
    ]
    # stable: passages of equal similarity keep their hybrid order
    return sorted(hits, key=lambda h: -h.score)


async def create_faq(
    ws: WorkspaceContext, embedder: Embedder, *, question: str, answer: str
) -> dict[str, Any]:
    ws.require("manager")
    [vector] = await embedder.embed_documents([f"{question}\n{answer}"])
    async with ws.session() as conn:
        return await repo.create_faq(
            conn,
            workspace_id=ws.workspace_id,
            question=question,
            answer=answer,
            embedding=vector,
            model=embedder.model_id,
        )


async def update_faq(
    ws: WorkspaceContext, embedder: Embedder, *, faq_id: UUID, question: str, answer: str
) -> dict[str, Any]:
    ws.require("manager")
    [vector] = await embedder.embed_documents([f"{question}\n{answer}"])
    async with ws.session() as conn:
        row = await repo.update_faq(
            conn,
            workspace_id=ws.workspace_id,
            faq_id=faq_id,
            question=question,
            answer=answer,
            embedding=vector,
            model=embedder.model_id,
        )
    if row is None:
        raise NotFound("no such FAQ entry", error_code="faq_not_found")
    return row


async def import_faq_csv(
    ws: WorkspaceContext, embedder: Embedder, settings: Settings, data: bytes
) -> int:
    """A CSV with `question` and `answer` columns; all rows or none."""
    ws.require("manager")
    try:
        text = data.decode("utf-8-sig")
        if holds_unstorable(text):
            raise UnstorableText("the CSV holds a NUL character: remove it and import again")
        reader = csv.DictReader(io.StringIO(text))
        rows = [(r.get("question", "").strip(), r.get("answer", "").strip()) for r in reader]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput("the file is not a UTF-8 CSV", error_code="invalid_csv") from exc
    if not reader.fieldnames or not {"question", "answer"} <= set(reader.fieldnames):
        raise InvalidInput(
            "the CSV needs 'question' and 'answer' columns", error_code="invalid_csv"
        )
    if len(rows) > settings.faq_import_max_rows:
        raise InvalidInput(
            f"at most {settings.faq_import_max_rows} rows per import", error_code="too_many_rows"
        )
    bad = [n + 2 for n, (q, a) in enumerate(rows) if not q or not a]
    if bad:
        raise InvalidInput(
            f"rows without a question or an answer: {bad[:10]}", error_code="invalid_csv"
        )
    vectors = await embedder.embed_documents([f"{q}\n{a}" for q, a in rows])
    async with ws.session() as conn:
        for (question, answer), vector in zip(rows, vectors, strict=True):
            await repo.create_faq(
                conn,
                workspace_id=ws.workspace_id,
                question=question,
                answer=answer,
                embedding=vector,
                model=embedder.model_id,
            )
    return len(rows)


async def embed_missing_faq(pool: Pool, embedder: Embedder, *, workspace_id: str) -> int:
    """FAQ written without a vector (the demo seed) or under another model gets one."""
    async with tenant_session(pool, Claims.for_worker(workspace_id)) as conn:
        rows = await repo.faq_without_embedding(
            conn, workspace_id=workspace_id, model=embedder.model_id
        )
        if rows:
            vectors = await embedder.embed_documents(
                [f"{r['question']}\n{r['answer']}" for r in rows]
            )
            for row, vector in zip(rows, vectors, strict=True):
                await repo.set_faq_embedding(
                    conn, faq_id=row["id"], embedding=vector, model=embedder.model_id
                )
    return len(rows)


@dataclass(frozen=True)
class EmbeddingStatus:
    provider: str
    model: str
    chunks_total: int
    chunks_current: int
    faq_total: int
    faq_current: int

    @property
    def complete(self) -> bool:
        return self.chunks_current == self.chunks_total and self.faq_current == self.faq_total


async def embedding_status(
    conn: Any, embedders: Embedders, workspace_id: UUID | str
) -> EmbeddingStatus:
    """How much of the knowledge base carries the workspace's current model (re-embedding
    progress after a switch)."""
    provider = embedders.provider(await workspace_provider(conn, workspace_id))
    embedder = embedders.get(provider)
    row = await repo.embedding_counts(conn, workspace_id=workspace_id, model=embedder.model_id)
    return EmbeddingStatus(provider=provider, model=embedder.model_id, **row)


async def reembed_workspace(
    pool: Pool, embedders: Embedders, settings: Settings, *, workspace_id: str
) -> int:
    """Worker: give every chunk and FAQ entry of the workspace a vector from its current model,
    a batch per transaction (progress shows as it goes; a crash resumes where it stopped).
    Returns how many vectors were made."""
    claims = Claims.for_worker(workspace_id)
    made = 0
    while True:
        async with tenant_session(pool, claims) as conn:
            embedder = await workspace_embedder(conn, embedders, workspace_id)
            rows = await repo.chunks_needing_model(
                conn,
                workspace_id=workspace_id,
                model=embedder.model_id,
                limit=settings.embedding_batch_size,
            )
            if not rows:
                await repo.set_documents_model(
                    conn, workspace_id=workspace_id, model=embedder.model_id
                )
                break
            vectors = await embedder.embed_documents([r["content"] for r in rows])
            await repo.set_chunk_embeddings(
                conn,
                rows=[(r["id"], v) for r, v in zip(rows, vectors, strict=True)],
                model=embedder.model_id,
            )
            made += len(rows)
    made += await embed_missing_faq(pool, embedder, workspace_id=workspace_id)
    log.info(
        "knowledge base re-embedded",
        workspace_id=workspace_id,
        vectors=made,
        model=embedder.model_id,
    )
    return made
