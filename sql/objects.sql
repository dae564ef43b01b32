-- Manifest of the re-runnable object files, applied after the migrations, top to bottom, in one
-- transaction, as mana_ai_owner. Only \ir lines and comments belong here.

-- helpers
\ir mana_ai_private/functions/now.sql
\ir mana_ai_private/functions/user_scope.sql
\ir mana_ai_private/functions/set_timezone.sql
\ir mana_ai_private/functions/parse_stamp.sql
\ir mana_ai_private/functions/to_iso.sql
\ir mana_ai_private/functions/js_truthy.sql
\ir mana_ai_private/functions/counters.sql
\ir mana_ai_private/functions/local_to_instant.sql
\ir mana_ai_private/functions/cron_fields.sql
\ir mana_ai_private/functions/cron_error.sql
\ir mana_ai_private/functions/cron_next.sql
\ir mana_ai_private/functions/cadence_error.sql
\ir mana_ai_private/functions/next_slot.sql
\ir mana_ai_private/functions/agent_gate.sql
\ir mana_ai_private/functions/token_budget.sql
\ir mana_ai_private/functions/agent_token_usage.sql
\ir mana_ai_private/functions/tokens_used.sql
\ir mana_ai_private/functions/budget_frees_at.sql

-- row-level security: ENABLE + FORCE, policies and table grants, one file per table (after now(),
-- which the decrypt_audit retention policies call)
\ir mana_ai_private/policies/settings.sql
\ir mana_ai_private/policies/projections.sql
\ir mana_ai_private/policies/quarantine.sql
\ir mana_ai_private/policies/counters.sql
\ir mana_ai_private/policies/counter_deltas.sql
\ir mana_ai_private/policies/tick_state.sql
\ir mana_ai_private/policies/sql_objects.sql
\ir mana_ai_private/policies/migrations.sql
\ir mana_ai_private/policies/captured.sql
\ir mana_ai/policies/runs.sql
\ir mana_ai_private/policies/run_tokens.sql
\ir mana_ai/policies/decrypt_audit.sql
\ir mana_ai_private/triggers/decrypt_audit.sql

-- the LWW merge and the projection (depends on the cadence functions at run time)
\ir mana_ai_private/functions/key_fits.sql
\ir mana_ai_private/functions/merge/make_offer.sql
\ir mana_ai_private/functions/merge/merge_step.sql
\ir mana_ai_private/functions/merge/derive_projection.sql
\ir mana_ai_private/functions/merge/materialize.sql
\ir mana_ai_private/functions/merge/replay.sql
\ir mana_ai_private/functions/merge/apply_changes.sql
\ir mana_ai_private/functions/merge/rebuild.sql
\ir mana_ai_private/functions/merge/log_user_ids.sql

-- capture, then fold: the queue's trigger on sync_changes and the fold functions
\ir mana_ai_private/functions/record_hash.sql
\ir mana_ai_private/functions/capture_wakes.sql
\ir mana_ai_private/triggers/sync_changes.sql
\ir mana_ai_private/functions/fold/user_changes.sql
\ir mana_ai_private/functions/fold/fold_changes.sql
\ir mana_ai_private/functions/fold/fold_captured.sql
\ir mana_ai_private/functions/fold/fold_records.sql
\ir mana_ai_private/functions/fold/fold_mission.sql
\ir mana_ai_private/functions/fold/backfill_capture.sql
\ir mana_ai/functions/fold.sql
\ir mana_ai/views/v_capture_backlog.sql

-- decrypt audit and retention
\ir mana_ai/functions/record_decrypt_audit.sql
\ir mana_ai/functions/read_decrypt_audit.sql
\ir mana_ai/functions/run_retention.sql

-- the run ledger: enqueue, claim, lease, write-back (docs/scheduling.md §5.3–5.5, docs/writeback.md)
\ir mana_ai/functions/api_version.sql
\ir mana_ai_private/views/resolved_agents.sql
\ir mana_ai_private/views/due_missions.sql
\ir mana_ai_private/functions/js_string.sql
\ir mana_ai_private/functions/enqueue_due.sql
\ir mana_ai_private/functions/enqueue_due_for_agents.sql
\ir mana_ai_private/functions/supersede_runs.sql
\ir mana_ai_private/functions/claim_candidates.sql
\ir mana_ai_private/functions/fold/fold_open_runs.sql
\ir mana_ai_private/functions/write_mission_row.sql
\ir mana_ai_private/functions/finish_exhausted_run.sql
\ir mana_ai/functions/tick.sql
\ir mana_ai/functions/claim_runs.sql
\ir mana_ai/functions/extend_lease.sql
\ir mana_ai/functions/release_run.sql
\ir mana_ai_private/functions/run_payload.sql
\ir mana_ai/functions/load_run.sql
\ir mana_ai/functions/claim_and_load_runs.sql
\ir mana_ai/functions/replay_input.sql
\ir mana_ai_private/functions/lock_leased_run.sql
\ir mana_ai_private/functions/record_run_tokens.sql
\ir mana_ai/functions/complete_run.sql
\ir mana_ai/functions/fail_run.sql
\ir mana_ai/functions/next_wakeup.sql
\ir mana_ai/functions/read_counters.sql
\ir mana_ai/functions/runtime_settings.sql

-- the operator's surface: views and functions for the admin (psql, `mana-ai status|explain`); none is
-- granted to mana_ai_runner
\ir mana_ai/views/v_missions.sql
\ir mana_ai/views/v_due.sql
\ir mana_ai/views/v_runs_recent.sql
\ir mana_ai/views/v_agent_load.sql
\ir mana_ai/views/v_token_budget.sql
\ir mana_ai/views/v_quarantine.sql
\ir mana_ai/functions/explain_mission.sql
\ir mana_ai/functions/read_status.sql

-- takeover of the reference runner's schema (sql/takeover.sql): the homes of its adopted rows and the
-- adoption migrate runs after this manifest
\ir mana_ai_private/policies/reference_token_usage.sql
\ir mana_ai_private/policies/reference_mission_research_jobs.sql
\ir mana_ai_private/functions/adopt_reference_tables.sql
