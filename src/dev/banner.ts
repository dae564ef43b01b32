/**
 * The banner `make run` prints once the listener is up: where to look (HTTP, metrics, psql with a few
 * queries), how to tick by hand, which LLM answers, and what the demo data is.
 */
import { DEV_DATABASE } from './cluster.js';
import { DEMO_AGENT_ID, DEMO_MISSIONS, DEMO_USER_ID } from './seed.js';

export interface BannerInfo {
  port: number;
  /** One line about the LLM in use. */
  llm: string;
  serviceKey: string;
  /** The cluster directory (its socket lives there). */
  pgDir: string;
  timezone: string;
}

/** The banner text, newline-terminated. */
export function banner(info: BannerInfo): string {
  const http = `http://localhost:${info.port}`;
  const rule = '─'.repeat(100);
  return [
    rule,
    ` mana-ai is running (dev). Missions are planned as they become due (times in ${info.timezone}); Ctrl-C stops everything.`,
    `   HTTP       ${http}/health   metrics: ${http}/metrics`,
    `   tick now   curl -X POST -H 'X-Service-Key: ${info.serviceKey}' ${http}/internal/tick`,
    `   audit      curl ${http}/api/v1/me/ai-audit   (dev auth bypass as ${DEMO_USER_ID})`,
    `   LLM        ${info.llm}`,
    `   psql       psql "host=${info.pgDir} dbname=${DEV_DATABASE} user=postgres"`,
    '                select run_id, mission_id, status, attempts, slot, next_run_at from mana_ai.runs order by run_id;',
    '                select mana_ai.tick();',
    `                select record_id, state, next_run_at, due_at from mana_ai_private.projections where user_id = '${DEMO_USER_ID}';`,
    `   demo       user ${DEMO_USER_ID}, agent ${DEMO_AGENT_ID}; missions: ${Object.values(DEMO_MISSIONS).map((m) => `"${m.title}"`).join(', ')}`,
    `              ("${DEMO_MISSIONS.paused.title}" is paused and never runs; "${DEMO_MISSIONS.encrypted.title}" reads an encrypted note via a grant)`,
    rule,
    '',
  ].join('\n');
}
