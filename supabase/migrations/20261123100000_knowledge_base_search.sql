-- Knowledge base: uploaded sources, vector indexes per embedding model, and hybrid search.

alter table public.kb_documents add column source bytea;
alter table public.kb_documents add column content_type text;

-- One HNSW index per embedding model, on a cast to its dimension (PRACTICES.md, pgvector): a
-- dimensionless column can hold several models, and each query compares like with like.
create index kb_chunks_embedding_wordllama_idx on public.kb_chunks
    using hnsw ((embedding::vector(256)) vector_cosine_ops) where embedding_model = 'wordllama-l2-supercat-256';
create index kb_chunks_embedding_gemini_idx on public.kb_chunks
    using hnsw ((embedding::vector(768)) vector_cosine_ops) where embedding_model = 'gemini-embedding-001-768';
create index kb_chunks_embedding_openai_idx on public.kb_chunks
    using hnsw ((embedding::vector(1536)) vector_cosine_ops) where embedding_model = 'text-embedding-3-small';

-- Reciprocal-rank fusion of vector and full-text rank (Supabase's documented hybrid_search),
-- with the tenant filter inside both CTEs and pgvector's iterative scans so that filtering by
-- workspace does not starve the approximate scan. SECURITY INVOKER: RLS applies to the caller.
create or replace function app.kb_hybrid_search(
    target_workspace uuid,
    query_text text,
    query_embedding vector,
    model text,
    dimensions integer,
    match_count integer default 10,
    full_text_weight real default 1,
    semantic_weight real default 1,
    rrf_k integer default 50
) returns table (
    chunk_id bigint, document_id uuid, title text, page_number integer, content text,
    vector_rank bigint, text_rank bigint, score double precision, similarity double precision
)
-- (invoker functions cannot escalate, so the search path may name where pgvector lives:
-- public on a plain PostgreSQL, extensions on Supabase)
language plpgsql stable security invoker set search_path = public, extensions, pg_catalog as $$
begin
    if dimensions not in (256, 768, 1536) then
        raise exception 'unsupported embedding dimensions %', dimensions using errcode = '22023';
    end if;
    perform set_config('hnsw.iterative_scan', 'relaxed_order', true);
    perform set_config('hnsw.ef_search', '100', true);
    return query execute format($q$
        with semantic as (
            select c.id, row_number() over (order by c.embedding::vector(%1$s) <=> $3::vector(%1$s)) as rank_ix,
                   1 - (c.embedding::vector(%1$s) <=> $3::vector(%1$s)) as similarity
              from public.kb_chunks c
             where c.workspace_id = $1 and c.embedding_model = $4
             order by c.embedding::vector(%1$s) <=> $3::vector(%1$s)
             limit least($5, 30) * 2
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
    $q$, dimensions)
    using target_workspace, query_text, query_embedding, model, match_count, full_text_weight, semantic_weight, rrf_k;
end
$$;

revoke all on function app.kb_hybrid_search(uuid, text, vector, text, integer, integer, real, real, integer) from public;
grant execute on function app.kb_hybrid_search(uuid, text, vector, text, integer, integer, real, real, integer) to authenticated;
