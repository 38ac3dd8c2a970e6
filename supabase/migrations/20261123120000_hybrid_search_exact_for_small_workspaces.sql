-- Hybrid search: exact vector search for workspaces small enough to scan (the usual case), HNSW
-- with iterative scans and a re-sort above that. Measured by bench/retrieval.py.

drop function if exists app.kb_hybrid_search(uuid, text, vector, text, integer, integer, real, real, integer);

create or replace function app.kb_hybrid_search(
    target_workspace uuid,
    query_text text,
    query_embedding vector,
    model text,
    dimensions integer,
    match_count integer default 10,
    full_text_weight real default 1,
    semantic_weight real default 1,
    rrf_k integer default 50,
    exact_limit integer default 20000
) returns table (
    chunk_id bigint, document_id uuid, title text, page_number integer, content text,
    vector_rank bigint, text_rank bigint, score double precision, similarity double precision
)
-- (invoker functions cannot escalate, so the search path may name where pgvector lives:
-- public on a plain PostgreSQL, extensions on Supabase)
language plpgsql stable security invoker set search_path = public, extensions, pg_catalog as $$
declare
    own_rows bigint;
    distance_expr text;
begin
    if dimensions not in (256, 768, 1536) then
        raise exception 'unsupported embedding dimensions %', dimensions using errcode = '22023';
    end if;
    -- A workspace's own chunks are few next to the shared index: below exact_limit rows an exact
    -- scan (through the workspace index) is both faster and exact. Above it, the HNSW index with
    -- iterative scans, over-fetched and re-sorted because relaxed_order may return rows slightly
    -- out of order (PRACTICES.md, pgvector).
    select count(*) into own_rows from public.kb_chunks c where c.workspace_id = target_workspace and c.embedding_model = model;
    if own_rows <= exact_limit then
        distance_expr := format('(c.embedding::vector(%s) <=> $3::vector(%s)) + 0', dimensions, dimensions);
    else
        perform set_config('hnsw.iterative_scan', 'relaxed_order', true);
        perform set_config('hnsw.ef_search', '100', true);
        distance_expr := format('c.embedding::vector(%s) <=> $3::vector(%s)', dimensions, dimensions);
    end if;
    return query execute format($q$
        with candidates as materialized (
            select c.id, %2$s as distance
              from public.kb_chunks c
             where c.workspace_id = $1 and c.embedding_model = $4
             order by %2$s
             limit least($5, 30) * 4
        ), semantic as (
            select id, row_number() over (order by distance) as rank_ix, 1 - distance as similarity
              from candidates order by distance limit least($5, 30) * 2
        ), full_text as (
            select c.id, row_number() over (order by ts_rank_cd(c.content_tsv, websearch_to_tsquery('simple', $2)) desc) as rank_ix
              from public.kb_chunks c
             where c.workspace_id = $1 and c.content_tsv @@ websearch_to_tsquery('simple', $2)
             order by ts_rank_cd(c.content_tsv, websearch_to_tsquery('simple', $2)) desc
             limit least($5, 30) * 2
        )
        select c.id, c.document_id, d.title, c.page_number, c.content,
               s.rank_ix, f.rank_ix,
               coalesce(1.0 / ($8 + f.rank_ix), 0.0) * $6 + coalesce(1.0 / ($8 + s.rank_ix), 0.0) * $7 as score,
               s.similarity
          from semantic s
          full outer join full_text f on f.id = s.id
          join public.kb_chunks c on c.id = coalesce(s.id, f.id)
          join public.kb_documents d on d.id = c.document_id and d.status = 'ready'
         order by score desc
         limit $5
    $q$, dimensions, distance_expr)
    using target_workspace, query_text, query_embedding, model, match_count, full_text_weight, semantic_weight, rrf_k;
end
$$;

revoke all on function app.kb_hybrid_search(uuid, text, vector, text, integer, integer, real, real, integer, integer) from public;
grant execute on function app.kb_hybrid_search(uuid, text, vector, text, integer, integer, real, real, integer, integer) to authenticated;
