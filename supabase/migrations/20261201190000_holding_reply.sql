-- When the bot hands a conversation to staff, the customer is told someone will answer (null:
-- staff turned it off). Sent once per escalation, through the outbox like every reply.
alter table public.ai_settings
    add column holding_message text
        default 'Thanks for your message! A person from our team will answer you here soon.';
update public.ai_settings
   set holding_message = 'Thanks for your message! A person from our team will answer you here soon.'
 where holding_message is null;
