-- Manifest of the re-runnable object files, applied after the migrations, top to bottom, in one
-- transaction, as mana_ai_owner. Only \ir lines and comments belong here.

-- helpers
\ir mana_ai_private/functions/now.sql
\ir mana_ai_private/functions/set_timezone.sql
\ir mana_ai_private/functions/parse_stamp.sql
\ir mana_ai_private/functions/to_iso.sql
\ir mana_ai_private/functions/js_truthy.sql
\ir mana_ai_private/functions/counters.sql

-- the LWW merge and the projection (depends on the cadence functions at run time)
\ir mana_ai_private/functions/merge/make_offer.sql
\ir mana_ai_private/functions/merge/merge_step.sql
\ir mana_ai_private/functions/merge/derive_projection.sql
\ir mana_ai_private/functions/merge/materialize.sql
\ir mana_ai_private/functions/merge/replay.sql
\ir mana_ai_private/functions/merge/apply_changes.sql
\ir mana_ai_private/functions/merge/rebuild.sql
\ir mana_ai_private/triggers/sync_changes.sql
