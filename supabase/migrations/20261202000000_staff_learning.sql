-- The bot learns from staff: a member marks a reply good or wrong (one verdict per member and
-- decision); a wrong one puts the FAQ entries it cited under review until someone edits them;
-- staff answers to escalations are offered as new FAQ entries, and what became of each offer
-- (added, dismissed) is kept so it is offered once.
create table public.decision_feedback (
    workspace_id uuid not null references public.workspaces (id) on delete cascade,
    decision_id  uuid not null references public.ai_decisions (id) on delete cascade,
    user_id      uuid not null,
    verdict      text not null constraint decision_feedback_verdict check (verdict in ('good', 'wrong')),
    note         text constraint decision_feedback_note check (length(note) <= 1000),
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    primary key (decision_id, user_id)
);
create index decision_feedback_workspace_idx on public.decision_feedback (workspace_id, created_at);

alter table public.faq add column needs_review_since timestamptz;

create table public.faq_suggestion_outcomes (
    workspace_id  uuid not null references public.workspaces (id) on delete cascade,
    escalation_id uuid primary key references public.escalations (id) on delete cascade,
    outcome       text not null constraint faq_suggestion_outcomes_outcome check (outcome in ('added', 'dismissed')),
    faq_id        uuid references public.faq (id) on delete set null,
    decided_by    uuid,
    created_at    timestamptz not null default now()
);

grant select, insert, update, delete on public.decision_feedback, public.faq_suggestion_outcomes to authenticated;
grant all on public.decision_feedback, public.faq_suggestion_outcomes to service_role;
alter table public.decision_feedback enable row level security;
alter table public.decision_feedback force row level security;
alter table public.faq_suggestion_outcomes enable row level security;
alter table public.faq_suggestion_outcomes force row level security;
create policy decision_feedback_select on public.decision_feedback for select to authenticated
    using (workspace_id in (select app.allowed_workspaces('agent')));
create policy decision_feedback_insert on public.decision_feedback for insert to authenticated
    with check (workspace_id in (select app.allowed_workspaces('agent'))
                and decision_id in (select d.id from public.ai_decisions d
                                     where d.workspace_id = decision_feedback.workspace_id));
create policy decision_feedback_update on public.decision_feedback for update to authenticated
    using (workspace_id in (select app.allowed_workspaces('agent')))
    with check (workspace_id in (select app.allowed_workspaces('agent')));
create policy decision_feedback_delete on public.decision_feedback for delete to authenticated
    using (workspace_id in (select app.allowed_workspaces('manager')));
create policy faq_suggestion_outcomes_select on public.faq_suggestion_outcomes for select to authenticated
    using (workspace_id in (select app.allowed_workspaces('agent')));
create policy faq_suggestion_outcomes_insert on public.faq_suggestion_outcomes for insert to authenticated
    with check (workspace_id in (select app.allowed_workspaces('manager'))
                and escalation_id in (select e.id from public.escalations e
                                       where e.workspace_id = faq_suggestion_outcomes.workspace_id));
create policy faq_suggestion_outcomes_update on public.faq_suggestion_outcomes for update to authenticated
    using (workspace_id in (select app.allowed_workspaces('manager')))
    with check (workspace_id in (select app.allowed_workspaces('manager')));
create policy faq_suggestion_outcomes_delete on public.faq_suggestion_outcomes for delete to authenticated
    using (workspace_id in (select app.allowed_workspaces('manager')));
