-- A video's length, read from the file at upload: a reel must last 3 s to 15 min.
alter table public.media_assets add column duration_s double precision;
