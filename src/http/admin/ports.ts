/**
 * What the admin API needs from the rest of the service. Ports, not concrete classes: the composition root
 * (src/app.ts) passes the real engine, stores and dispatchers; tests pass in-memory stores and fakes.
 */
import type { RequestHandler } from 'express';
import type { AgentActions, AgentActionTexts } from '../../service/agent-actions.js';
import type { PeopleStore } from '../../people/store.js';
import type { ConversationLifecycle } from '../../service/lifecycle.js';
import type { Urgency } from '../../conversations/store/types.js';
import type { Taxonomy } from '../../taxonomy/index.js';
import type { ServiceStore } from '../../conversations/store/types.js';
import type { Storage } from '../../engine/index.js';
import type { Logger } from '../../logging.js';
import type { AdminWorkflowsPort } from '../../service/port.js';

export type { AdminWorkflowsPort } from '../../service/port.js';

export interface AdminPorts {
  /** ADMIN_TOKEN: every /admin route needs `Authorization: Bearer <adminToken>` (or a user's API token). At least 16 characters. */
  adminToken?: string;
  /** Accounts: their API tokens are accepted too, and admin actions are recorded in the audit log. */
  people?: PeopleStore;
  storage: Storage;
  serviceStore: ServiceStore;
  lifecycle: ConversationLifecycle;
  workflows: AdminWorkflowsPort;
  /** Wakes the outbox dispatcher after an admin retry, so the row goes out now rather than at the next poll. */
  kickOutbox?: () => void;
  /** Clock (epoch ms). @default Date.now */
  now?: () => number;
  /** For refused logins and 5xx (requests with a request id use their own child logger). @default silent */
  logger?: Logger;
  /** Largest accepted JSON body. @default '16kb' */
  bodyLimit?: string;
  /**
   * Authentication in front of every /admin route; must set `res.locals.actor` (src/people/actor.ts) or
   * answer 401/403 itself. @default the ADMIN_TOKEN bearer check (actor `{ kind: 'token', name: 'ADMIN_TOKEN' }`)
   */
  authenticate?: RequestHandler;
  /** Claim, reply, release, resolve, corrections. @default built from the ports above */
  actions?: AgentActions;
  /** Texts told to the customer by those actions (Config['cases']['texts']). @default pt-BR defaults */
  texts?: AgentActionTexts;
  /** The taxonomy corrections are checked against. @default the bundled one */
  taxonomy?: Taxonomy;
  /** SLA limits (minutes per urgency) ordering the queue. @default SLA_*_MINUTES defaults */
  slaMinutes?: Readonly<Record<Urgency, number>>;
}
