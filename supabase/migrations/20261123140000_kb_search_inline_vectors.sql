-- Search speed at size (bench/retrieval.py: 100,000 chunks x 768 dimensions, 20 workspaces).
-- A 768-dimension vector is 3 KB, above PostgreSQL's 2 KB TOAST threshold: stored out of line,
-- every distance computed in an exact scan first fetched four TOAST pages. MAIN storage keeps
-- vectors in the row (moved out only if a row would not fit a page at all). Existing rows keep
-- their storage until rewritten; new and re-embedded chunks get the inline layout.
alter table public.kb_chunks alter column embedding set storage main;
alter table public.faq alter column embedding set storage main;
-- With a 3 KB vector in the row, the row can never shrink below the default 2 KB target, so
-- PostgreSQL moved every other wide column (the text and its tsvector) out of line trying:
-- each read then cost three or four more page visits. Only rows that would not fit a page are
-- toasted now.
alter table public.kb_chunks set (toast_tuple_target = 8160);
alter table public.faq set (toast_tuple_target = 8160);

-- The exact path's row count and scan filter on (workspace, model): one index serves both,
-- the count without touching the table.
create index if not exists kb_chunks_workspace_model_idx on public.kb_chunks (workspace_id, embedding_model);

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
#variable_conflict use_column
declare
    own_rows bigint;
    -- parsed once here: inside the query it would be parsed again for every row
    text_query tsquery := websearch_to_tsquery('simple', query_text);
    distance_expr text;
begin
    if dimensions not in (256, 768, 1536) then
        raise exception 'unsupported embedding dimensions %', dimensions using errcode = '22023';
    end if;
    -- A workspace's own chunks are few next to the shared index: below exact_limit rows an exact
    -- scan (through the workspace index) is both faster and exact. Bounded, and answered from the
    -- (workspace, model) index alone once vacuum has run.
    select count(*) into own_rows from (
        select 1 from public.kb_chunks c
         where c.workspace_id = target_workspace and c.embedding_model = model
         limit exact_limit + 1
    ) own;
    if own_rows <= exact_limit then
        -- exact path: one pass over the workspace's rows scores both the vector distance and
        -- the text match (two passes read every row twice)
        -- (static SQL: PL/pgSQL keeps its plan between calls)
        return query
            with scored as materialized (
                select c.id,
                       -- other models' vectors are not comparable: text match only
                       case when c.embedding_model = model
                            then c.embedding <=> query_embedding end as distance,
                       case when c.content_tsv @@ text_query
                            then ts_rank_cd(c.content_tsv, text_query) end as text_score
                  from public.kb_chunks c
                 where c.workspace_id = target_workspace
            ), semantic as (
                select sc.id, row_number() over (order by sc.distance) as rank_ix,
                       1 - sc.distance as sim
                  from scored sc where sc.distance is not null
                 order by sc.distance limit least(match_count, 30) * 2
            ), full_text as (
                select sc.id, row_number() over (order by sc.text_score desc) as rank_ix
                  from scored sc where sc.text_score is not null
                 order by sc.text_score desc limit least(match_count, 30) * 2
            ), fused as materialized (
                -- materialized: a handful of ids, then joined by primary key (inlined, the
                -- planner scanned the whole workspace again to find them)
                select coalesce(s.id, f.id) as id, s.rank_ix as s_rank, f.rank_ix as f_rank, s.sim,
                       coalesce(1.0 / (rrf_k + f.rank_ix), 0.0) * full_text_weight
                           + coalesce(1.0 / (rrf_k + s.rank_ix), 0.0) * semantic_weight as fused_score
                  from semantic s full outer join full_text f on f.id = s.id
            )
            select c.id, c.document_id, d.title, c.page_number, c.content,
                   fu.s_rank, fu.f_rank, fu.fused_score::double precision, fu.sim
              from fused fu
              join public.kb_chunks c on c.id = fu.id
              join public.kb_documents d on d.id = c.document_id and d.status = 'ready'
             order by fu.fused_score desc
             limit match_count;
        return;
    end if;
    -- HNSW path: the shared index with iterative scans, over-fetched and re-sorted because
    -- relaxed_order may return rows slightly out of order (PRACTICES.md, pgvector)
    perform set_config('hnsw.iterative_scan', 'relaxed_order', true);
    -- pgvector's largest ef_search: a tenant filter keeps a few percent of the shared graph, and
    -- smaller lists stop before the true neighbours are seen (bench/retrieval.py, forced path:
    -- 100 -> recall@10 0.63, 400 -> 0.75, 1000 -> 1.0 at p95 19 ms; larger lists also need fewer
    -- iterative rounds)
    perform set_config('hnsw.ef_search', '1000', true);
    distance_expr := format('c.embedding::vector(%s) <=> $3::vector(%s)', dimensions, dimensions);
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
            select c.id, row_number() over (order by ts_rank_cd(c.content_tsv, $9) desc) as rank_ix
              from public.kb_chunks c
             where c.workspace_id = $1 and c.content_tsv @@ $9
             order by ts_rank_cd(c.content_tsv, $9) desc
             limit least($5, 30) * 2
        )
        , fused as materialized (
            select coalesce(s.id, f.id) as id, s.rank_ix as s_rank, f.rank_ix as f_rank, s.similarity,
                   coalesce(1.0 / ($8 + f.rank_ix), 0.0) * $6 + coalesce(1.0 / ($8 + s.rank_ix), 0.0) * $7 as score
              from semantic s full outer join full_text f on f.id = s.id
        )
        select c.id, c.document_id, d.title, c.page_number, c.content,
               fu.s_rank, fu.f_rank, fu.score::double precision, fu.similarity
          from fused fu
          join public.kb_chunks c on c.id = fu.id
          join public.kb_documents d on d.id = c.document_id and d.status = 'ready'
         order by fu.score desc
         limit $5
    $q$, dimensions, distance_expr)
    using target_workspace, query_text, query_embedding, model, match_count, full_text_weight, semantic_weight, rrf_k, text_query;
end
$$;

revoke all on function app.kb_hybrid_search(uuid, text, vector, text, integer, integer, real, real, integer, integer) from public;
grant execute on function app.kb_hybrid_search(uuid, text, vector, text, integer, integer, real, real, integer, integer) to authenticated;
