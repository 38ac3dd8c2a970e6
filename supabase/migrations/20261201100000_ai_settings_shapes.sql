-- A settings map must be a JSON object: an older API stored `null` as the JSON value null (and
-- merged `{...} || null` into an array), which the bot could not read. Repair such rows to the
-- column's default, then make the shape a constraint.
update public.ai_settings set ignore_rules = default where jsonb_typeof(ignore_rules) is distinct from 'object';
update public.ai_settings set auto_reply = default where jsonb_typeof(auto_reply) is distinct from 'object';
update public.ai_settings set max_reply_chars = default where jsonb_typeof(max_reply_chars) is distinct from 'object';
update public.ai_settings set business_hours = null where business_hours is not null and jsonb_typeof(business_hours) <> 'object';

alter table public.ai_settings
    add constraint ai_settings_ignore_rules_object check (jsonb_typeof(ignore_rules) = 'object'),
    add constraint ai_settings_auto_reply_object check (jsonb_typeof(auto_reply) = 'object'),
    add constraint ai_settings_max_reply_chars_object check (jsonb_typeof(max_reply_chars) = 'object'),
    add constraint ai_settings_business_hours_object check (business_hours is null or jsonb_typeof(business_hours) = 'object');
