"""SQL for the knowledge base; runs in tenant sessions (RLS applies)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from uuid import UUID

from app.db.keyset import after_key, after_params
from app.db.session import Conn
from app.db.trips import Query, all_rows

_DOC_COLUMNS = """id, title, source_type, filename, byte_size, status, pages_total, pages_read, chunks_total,
    chunks_embedded, error, embedding_model, created_at, updated_at"""


async def create_document(
    conn: Conn,
    *,
    workspace_id: UUID,
    title: str,
    source_type: str,
    filename: str | None,
    content_type: str | None,
    data: bytes,
) -> dict[str, Any]:
    cur = await conn.execute(
        f"""
        insert into public.kb_documents (workspace_id, title, source_type, filename, content_type, byte_size, source)
        values (%(ws)s, %(title)s, %(type)s, %(filename)s, %(ct)s, %(size)s, %(data)s)
        returning {_DOC_COLUMNS}
        """,  # noqa: S608 - constant columns
        {
            "ws": workspace_id,
            "title": title,
            "type": source_type,
            "filename": filename,
            "ct": content_type,
            "size": len(data),
            "data": data,
        },
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def list_documents(
    conn: Conn, *, workspace_id: UUID, limit: int, after: Sequence[Any] | None = None
) -> list[dict[str, Any]]:
    """Newest first; `after` is the previous page's last (created_at, id)."""
    cur = await conn.execute(
        f"select {_DOC_COLUMNS} from public.kb_documents"  # noqa: S608 - constant fragments
        f" where workspace_id = %(ws)s and {after_key('created_at, id')}"
        " order by created_at desc, id desc limit %(limit)s",
        {"ws": workspace_id, "limit": limit, **after_params(after)},
    )
    return await cur.fetchall()


async def get_document(
    conn: Conn, *, workspace_id: UUID, document_id: UUID
) -> dict[str, Any] | None:
    cur = await conn.execute(
        f"select {_DOC_COLUMNS} from public.kb_documents where workspace_id = %(ws)s and id = %(id)s",  # noqa: S608
        {"ws": workspace_id, "id": document_id},
    )
    return await cur.fetchone()


async def load_source(
    conn: Conn, *, workspace_id: UUID | str, document_id: UUID | str, stale_after_s: int = 600
) -> dict[str, Any] | None:
    """Locks the row: two runs never claim one document at once. A `processing` document whose
    progress has not moved for `stale_after_s` belonged to a run that died."""
    cur = await conn.execute(
        "select id, source_type, source, status, updated_at < now() - make_interval(secs => %(stale)s) as stale"
        " from public.kb_documents where workspace_id = %(ws)s and id = %(id)s for update",
        {"ws": workspace_id, "id": document_id, "stale": stale_after_s},
    )
    return await cur.fetchone()


async def delete_document(conn: Conn, *, workspace_id: UUID, document_id: UUID) -> bool:
    cur = await conn.execute(
        "delete from public.kb_documents where workspace_id = %(ws)s and id = %(id)s",
        {"ws": workspace_id, "id": document_id},
    )
    return cur.rowcount > 0


async def update_progress(conn: Conn, *, document_id: UUID | str, **fields: Any) -> None:
    allowed = {
        "status",
        "pages_total",
        "pages_read",
        "chunks_total",
        "chunks_embedded",
        "error",
        "embedding_model",
    }
    assignments = ", ".join(f"{name} = %({name})s" for name in fields if name in allowed)
    await conn.execute(
        f"update public.kb_documents set {assignments}, updated_at = now() where id = %(id)s",  # noqa: S608
        {**fields, "id": document_id},
    )


async def delete_chunks(conn: Conn, *, document_id: UUID | str) -> None:
    await conn.execute(
        "delete from public.kb_chunks where document_id = %(id)s", {"id": document_id}
    )


async def insert_chunks(
    conn: Conn,
    *,
    workspace_id: UUID | str,
    document_id: UUID | str,
    model: str,
    rows: list[tuple[int, int | None, str, list[float]]],
) -> None:
    async with conn.cursor() as cur:
        await cur.executemany(
            """
            insert into public.kb_chunks (workspace_id, document_id, chunk_index, page_number, content, embedding, embedding_model)
            values (%s, %s, %s, %s, %s, %s::vector, %s)
            """,
            [
                (workspace_id, document_id, index, page, content, str(vector), model)
                for index, page, content, vector in rows
            ],
        )


def hybrid_search_query(
    *,
    workspace_id: UUID | str,
    query: str,
    embedding: Sequence[float] | str,
    model: str,
    dimensions: int,
    limit: int,
    exact_limit: int = 20000,
) -> Query:
    """`exact_limit`: a workspace with at most this many chunks (for the model) is searched exactly."""
    return Query(
        "select * from app.kb_hybrid_search(%(ws)s, %(q)s, %(e)s::vector, %(model)s, %(dims)s, %(limit)s,"
        " exact_limit => %(exact)s)",
        {
            "ws": workspace_id,
            "q": query,
            "e": vector_text(embedding),
            "model": model,
            "dims": dimensions,
            "limit": limit,
            "exact": exact_limit,
        },
    )


hybrid_search = all_rows(hybrid_search_query)


def vector_text(embedding: Sequence[float] | str) -> str:
    """pgvector's text form (`[0.1, 0.2]`): spelling hundreds of floats costs more than the
    search's SQL (about 0.13 ms for 256), so a query searched twice passes it spelled once, and
    the vectors of the questions customers ask again and again are spelled once a process."""
    return embedding if isinstance(embedding, str) else _spelled(tuple(embedding))


@lru_cache(maxsize=256)
def _spelled(embedding: tuple[float, ...]) -> str:
    return str(list(embedding))


# ---- FAQ

_FAQ_COLUMNS = "id, question, answer, embedding_model, needs_review_since, created_at, updated_at"


async def create_faq(
    conn: Conn,
    *,
    workspace_id: UUID,
    question: str,
    answer: str,
    embedding: list[float],
    model: str,
) -> dict[str, Any]:
    cur = await conn.execute(
        f"""
        insert into public.faq (workspace_id, question, answer, embedding, embedding_model)
        values (%(ws)s, %(q)s, %(a)s, %(e)s::vector, %(model)s) returning {_FAQ_COLUMNS}
        """,  # noqa: S608
        {"ws": workspace_id, "q": question, "a": answer, "e": str(embedding), "model": model},
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def update_faq(
    conn: Conn,
    *,
    workspace_id: UUID,
    faq_id: UUID,
    question: str,
    answer: str,
    embedding: list[float],
    model: str,
) -> dict[str, Any] | None:
    cur = await conn.execute(
        f"""
        update public.faq set question = %(q)s, answer = %(a)s, embedding = %(e)s::vector, embedding_model = %(model)s,
               needs_review_since = null, updated_at = now()
         where workspace_id = %(ws)s and id = %(id)s returning {_FAQ_COLUMNS}
        """,  # noqa: S608
        {
            "ws": workspace_id,
            "id": faq_id,
            "q": question,
            "a": answer,
            "e": str(embedding),
            "model": model,
        },
    )
    return await cur.fetchone()


async def list_faq(
    conn: Conn, *, workspace_id: UUID, limit: int, after: Sequence[Any] | None = None
) -> list[dict[str, Any]]:
    """In the order they were written; `after` is the previous page's last (created_at, id)."""
    cur = await conn.execute(
        f"select {_FAQ_COLUMNS} from public.faq"  # noqa: S608 - constant fragments
        f" where workspace_id = %(ws)s and {after_key('created_at, id', 'asc')}"
        " order by created_at, id limit %(limit)s",
        {"ws": workspace_id, "limit": limit, **after_params(after)},
    )
    return await cur.fetchall()


async def delete_faq(conn: Conn, *, workspace_id: UUID, faq_id: UUID) -> bool:
    cur = await conn.execute(
        "delete from public.faq where workspace_id = %(ws)s and id = %(id)s",
        {"ws": workspace_id, "id": faq_id},
    )
    return cur.rowcount > 0


async def faq_without_embedding(
    conn: Conn, *, workspace_id: UUID | str, model: str
) -> list[dict[str, Any]]:
    cur = await conn.execute(
        "select id, question, answer from public.faq where workspace_id = %(ws)s"
        " and (embedding is null or embedding_model is distinct from %(model)s)",
        {"ws": workspace_id, "model": model},
    )
    return await cur.fetchall()


async def set_faq_embedding(
    conn: Conn, *, faq_id: UUID, embedding: list[float], model: str
) -> None:
    await conn.execute(
        "update public.faq set embedding = %(e)s::vector, embedding_model = %(m)s where id = %(id)s",
        {"e": str(embedding), "m": model, "id": faq_id},
    )


def search_faq_query(
    *,
    workspace_id: UUID | str,
    query: str,
    embedding: Sequence[float] | str,
    model: str,
    limit: int,
) -> Query:
    """A workspace's FAQ is small: an exact scan ranks it; full-text match is a tie-breaker."""
    return Query(
        """
        select id, question, answer,
               1 - (embedding <=> %(e)s::vector) as similarity,
               ts_rank_cd(content_tsv, websearch_to_tsquery('simple', %(q)s)) as text_rank
          from public.faq
         where workspace_id = %(ws)s and embedding_model = %(model)s
         order by embedding <=> %(e)s::vector
         limit %(limit)s
        """,
        {
            "ws": workspace_id,
            "q": query,
            "e": vector_text(embedding),
            "model": model,
            "limit": limit,
        },
    )


async def chunks_needing_model(
    conn: Conn, *, workspace_id: UUID | str, model: str, limit: int
) -> list[dict[str, Any]]:
    cur = await conn.execute(
        """
        select id, content from public.kb_chunks
         where workspace_id = %(ws)s and embedding_model is distinct from %(model)s
         order by id limit %(limit)s
           for update skip locked
        """,
        {"ws": workspace_id, "model": model, "limit": limit},
    )
    return await cur.fetchall()


async def set_chunk_embeddings(
    conn: Conn, *, rows: list[tuple[int, list[float]]], model: str
) -> None:
    async with conn.cursor() as cur:
        await cur.executemany(
            "update public.kb_chunks set embedding = %(e)s::vector, embedding_model = %(m)s where id = %(id)s",
            [{"id": chunk_id, "e": str(vector), "m": model} for chunk_id, vector in rows],
        )


async def set_documents_model(conn: Conn, *, workspace_id: UUID | str, model: str) -> None:
    await conn.execute(
        "update public.kb_documents set embedding_model = %(m)s, updated_at = now()"
        " where workspace_id = %(ws)s and status = 'ready' and embedding_model is distinct from %(m)s",
        {"ws": workspace_id, "m": model},
    )


async def embedding_counts(conn: Conn, *, workspace_id: UUID | str, model: str) -> dict[str, int]:
    """Chunks and FAQ entries in all, and those embedded with `model`."""
    cur = await conn.execute(
        """
        select (select count(*) from public.kb_chunks where workspace_id = %(ws)s) as chunks_total,
               (select count(*) from public.kb_chunks where workspace_id = %(ws)s
                                                       and embedding_model = %(m)s) as chunks_current,
               (select count(*) from public.faq where workspace_id = %(ws)s) as faq_total,
               (select count(*) from public.faq where workspace_id = %(ws)s
                                                  and embedding_model = %(m)s) as faq_current
        """,
        {"ws": workspace_id, "m": model},
    )
    row: Any = await cur.fetchone()
    return dict(row)


async def put_under_review(conn: Conn, *, workspace_id: UUID, faq_ids: Sequence[str]) -> list[str]:
    """A reply from these entries was marked wrong: under review until edited (update_faq)."""
    cur = await conn.execute(
        "update public.faq set needs_review_since = coalesce(needs_review_since, now())"
        " where workspace_id = %(ws)s and id = any(%(ids)s::uuid[]) returning id",
        {"ws": workspace_id, "ids": list(faq_ids)},
    )
    return [str(row["id"]) for row in await cur.fetchall()]


async def faq_suggestions(
    conn: Conn,
    *,
    workspace_id: UUID,
    limit: int,
    after: Sequence[Any] | None = None,
    escalation_id: UUID | None = None,
) -> list[dict[str, Any]]:
    """Escalations staff answered, not yet added or dismissed: the customer's message that led
    to each and staff's first answer after it, newest first."""
    cur = await conn.execute(
        f"""
        select * from (
            select e.id as escalation_id, e.conversation_id, e.created_at,
                   (select m.text from public.messages m
                     where m.conversation_id = e.conversation_id and m.direction = 'inbound'
                       and m.text is not null and m.sent_at <= e.created_at
                     order by m.sent_at desc limit 1) as question,
                   (select m.text from public.messages m
                     where m.conversation_id = e.conversation_id and m.direction = 'outbound'
                       and m.sender = 'human' and m.text is not null and m.sent_at >= e.created_at
                     order by m.sent_at limit 1) as answer
              from public.escalations e
             where e.workspace_id = %(ws)s and e.status in ('claimed', 'resolved')
               and (%(one)s::uuid is null or e.id = %(one)s)
               and {after_key("e.created_at, e.id")}
               and not exists (select 1 from public.faq_suggestion_outcomes o
                                where o.escalation_id = e.id)
             order by e.created_at desc, e.id desc
        ) s
         where s.question is not null and s.answer is not null
         limit %(limit)s
        """,  # noqa: S608 - constant fragments
        {"ws": workspace_id, "limit": limit, "one": escalation_id, **after_params(after)},
    )
    return await cur.fetchall()


async def record_suggestion_outcome(
    conn: Conn,
    *,
    workspace_id: UUID,
    escalation_id: UUID,
    outcome: str,
    faq_id: UUID | None,
    user_id: UUID,
) -> bool:
    """False when this suggestion was already added or dismissed."""
    cur = await conn.execute(
        """
        insert into public.faq_suggestion_outcomes (workspace_id, escalation_id, outcome, faq_id, decided_by)
        values (%(ws)s, %(escalation)s, %(outcome)s, %(faq)s, %(user)s)
        on conflict (escalation_id) do nothing
        """,
        {
            "ws": workspace_id,
            "escalation": escalation_id,
            "outcome": outcome,
            "faq": faq_id,
            "user": user_id,
        },
    )
    return cur.rowcount > 0
