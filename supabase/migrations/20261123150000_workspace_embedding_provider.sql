-- A workspace chooses its embedding provider (null: the deployment's EMBEDDING_PROVIDER).
-- Changing it re-embeds the workspace's knowledge base in the background; every chunk and FAQ
-- entry records the model of its vector, so search compares like with like meanwhile.
alter table public.ai_settings rename column embedding_model to embedding_provider;
alter table public.ai_settings add constraint ai_settings_embedding_provider
    check (embedding_provider in ('wordllama', 'gemini', 'openai'));
