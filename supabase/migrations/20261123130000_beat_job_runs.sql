-- Beat's jobs claim a time slot here before running: a second Beat process started by mistake
-- sends the same tasks, and the second claim of a slot finds the row and does nothing
-- (PRACTICES.md, Celery: database claims make a second Beat harmless). Not tenant data.
create table app_private.job_runs (
    job         text not null,
    slot        timestamptz not null,
    started_at  timestamptz not null default now(),
    finished_at timestamptz,
    result      jsonb,
    -- claims refused for this slot: non-zero means a second Beat (or a manual run) fired too
    duplicates  integer not null default 0,
    constraint job_runs_pkey primary key (job, slot)
);
create index job_runs_started_idx on app_private.job_runs (started_at);
grant select, insert, update, delete on app_private.job_runs to service_role;
