-- Manifest of the re-runnable object files, applied after the migrations, top to bottom, in one
-- transaction, as mana_ai_owner. Only \ir lines and comments belong here.

-- helpers
\ir mana_ai_private/functions/now.sql
\ir mana_ai_private/functions/set_timezone.sql
\ir mana_ai_private/functions/parse_stamp.sql
\ir mana_ai_private/functions/to_iso.sql
\ir mana_ai_private/functions/js_truthy.sql
\ir mana_ai_private/functions/counters.sql
