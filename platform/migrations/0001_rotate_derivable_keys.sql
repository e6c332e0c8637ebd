-- Until now every key was derivable: the default project's was tr_dev_local (or TRIGGER_SECRET_KEY), every
-- other `<key>-<ref>`. Each environment gets a random one; a chosen TRIGGER_SECRET_KEY is set again on start.
UPDATE "trigger_platform"."environments"
SET "api_key" = 'tr_dev_' || replace(gen_random_uuid()::text, '-', '') || substr(replace(gen_random_uuid()::text, '-', ''), 1, 8);
