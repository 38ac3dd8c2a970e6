-- `real` cannot hold every number the API accepts between 0 and 1 (2.2e-308 underflows and
-- failed the whole update): the two settings a person types are double precision. Stored
-- values are rounded to the six digits `real` kept (0.7 stays 0.7, not 0.699999988).
alter table public.ai_settings
    alter column temperature type double precision using round(temperature::numeric, 6),
    alter column confidence_threshold type double precision using round(confidence_threshold::numeric, 6);
