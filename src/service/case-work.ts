/**
 * The objects that change a conversation's handoff status and its cases — the lifecycle, the case service, the
 * outbox writer and the agents' actions on top of them — built together from one storage pair. Each thread
 * that changes conversations (the processing side, and the request side where the console and the admin API
 * act) builds them once, here, so both follow the same rules and write the outbox the same way.
 */
import type { Storage } from '../engine/index.js';
import type { Taxonomy } from '../taxonomy/index.js';
import type { ServiceStore } from '../conversations/store/types.js';
import { AgentActions, type AgentActionTexts } from './agent-actions.js';
import { CaseService } from './cases.js';
import { ConversationLifecycle } from './lifecycle.js';
import { Outbox } from './outbox.js';

export interface CaseWork {
  readonly lifecycle: ConversationLifecycle;
  readonly cases: CaseService;
  readonly outbox: Outbox;
  readonly actions: AgentActions;
}

export interface CaseWorkDeps {
  storage: Storage;
  serviceStore: ServiceStore;
  taxonomy: Taxonomy;
  /** What the customer is told on an agent's action. @default DEFAULT_AGENT_ACTION_TEXTS */
  texts?: AgentActionTexts;
  /** Deliver outbox rows now instead of at the next poll. */
  kickOutbox?: () => void;
  now?: () => number;
}

export function buildCaseWork(deps: CaseWorkDeps): CaseWork {
  const now = deps.now ?? Date.now;
  const lifecycle = new ConversationLifecycle(deps.serviceStore, now);
  const cases = new CaseService({ storage: deps.storage, store: deps.serviceStore, now });
  const outbox = new Outbox({ storage: deps.storage, now });
  const actions = new AgentActions({
    storage: deps.storage, serviceStore: deps.serviceStore, lifecycle, cases, outbox, taxonomy: deps.taxonomy, now,
    ...(deps.texts ? { texts: deps.texts } : {}),
    ...(deps.kickOutbox ? { kickOutbox: deps.kickOutbox } : {}),
  });
  return { lifecycle, cases, outbox, actions };
}
