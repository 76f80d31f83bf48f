/**
 * What the two workflows need from the outside, given to their factories (the guide's factory pattern):
 * storage (runs, sessions, protocol sequence), the models (Claude or embedded), the taxonomy and the
 * validated config files. Tests pass fakes; the app passes the real ones.
 */
import type { Model } from '../agents/model.js';
import type { Storage } from '../engine/index.js';
import type { Taxonomy } from '../taxonomy/index.js';
import type { HandoffConfig, TypificationConfig } from './config.js';
import type { Urgency } from '../service/ports.js';

export interface WorkflowModels {
  /** Answers the four classification levels and the medium-confidence validation. */
  classifier: Model;
  /** Answers the escalation analysis (Claude: the stronger model). */
  escalation: Model;
}

export interface WorkflowDeps {
  storage: Storage;
  models: WorkflowModels;
  taxonomy: Taxonomy;
  config: { typification: TypificationConfig; handoff: HandoffConfig };
  /** Wall clock for protocol dates and records. @default Date.now */
  now?: () => number;
  /** Where the console is reachable (PUBLIC_URL), for the link in agents' alerts. @default none (path only) */
  publicUrl?: string;
  /**
   * SLA limits per urgency in minutes (`Config['sla'].minutes`): the wait told to the customer is the
   * limit the SLA job holds the agents to, not a second number.
   */
  slaMinutes: Readonly<Record<Urgency, number>>;
}
