/**
 * Per-workflow configuration files (`config/workflows/<id>.json`), validated with zod at start — the
 * guide's `config_loader.load_workflow_config`. A bad file stops the start naming the file, the key and
 * what is wrong, so nobody deploys a typo in a threshold.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../package-root.js';
import { WorkflowConfigError } from './errors.js';
export { WorkflowConfigError };

const retries = z.number().int().min(0).max(10);
const retiredStorageKey = z
  .unknown()
  .refine(() => false, { message: 'no longer read from the workflow config: the table prefix is ZAPFLOW_TABLE_PREFIX; remove "storage"' })
  .optional();

export const typificationConfigSchema = z
  .object({
    models: z.object({
      /** Claude model id for the four classification steps (ignored by the embedded model). */
      classifier: z.string().min(1),
      /** Claude model id for the medium-confidence validation agent. */
      validator: z.string().min(1),
    }).strict(),
    retries: z.object({ classification: retries, validation: retries }).strict(),
    confidence: z
      .object({
        /** At or above: finalize directly. */
        high: z.number().min(0).max(1),
        /** At or above (and below high): a validation agent re-checks the path. Below: hand to a human. */
        medium: z.number().min(0).max(1),
      })
      .strict()
      .refine((c) => c.medium <= c.high, { message: 'medium must be ≤ high', path: ['medium'] }),
    /** The table prefix is ZAPFLOW_TABLE_PREFIX (one source): an old file that still names one is told so. */
    storage: retiredStorageKey,
    report: z.object({ lastCustomerMessages: z.number().int().min(1).max(20) }).strict(),
  })
  .strict();

export const handoffConfigSchema = z
  .object({
    models: z.object({ escalation: z.string().min(1) }).strict(),
    retries: z.object({ analysis: retries, collection: retries, notification: retries }).strict(),
    storage: retiredStorageKey,
    alert: z
      .object({
        /** Template of the agents' alert. Placeholders: {protocol} {urgency} {reason} {summary} {customer} {path} {contacts} {link}. */
        template: z.string().min(10).refine((t) => t.includes('{protocol}'), { message: 'must contain {protocol} so agents can find the ticket' }),
        /** Prefix of SLA re-alerts. */
        realertPrefix: z.string().min(1),
      })
      .strict(),
    /** Message to the customer. Placeholders: {protocol} {wait} (the SLA limit of the urgency, SLA_*_MINUTES). */
    customerMessage: z.string().min(10).refine((t) => t.includes('{protocol}'), { message: 'must contain {protocol}: the customer needs the tracking number' }),
  })
  .strict();

export type TypificationConfig = z.infer<typeof typificationConfigSchema>;
export type HandoffConfig = z.infer<typeof handoffConfigSchema>;

const schemas = {
  'conversation-typification': typificationConfigSchema,
  'human-handoff': handoffConfigSchema,
} as const;

export type WorkflowId = keyof typeof schemas;
export type WorkflowConfigs = { 'conversation-typification': TypificationConfig; 'human-handoff': HandoffConfig };

/** The project's config/workflows folder (from src/ under tsx and from dist/src/ when built). */
export function defaultWorkflowConfigDir(): string {
  return join(packageRoot(), 'config', 'workflows');
}

export function loadWorkflowConfig<Id extends WorkflowId>(id: Id, dir = defaultWorkflowConfigDir()): WorkflowConfigs[Id] {
  const file = join(dir, `${id}.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? `not valid JSON (${error.message})` : `cannot be read (${(error as Error).message})`;
    throw new WorkflowConfigError(file, [reason]);
  }
  const parsed = schemas[id].safeParse(raw);
  if (!parsed.success) {
    throw new WorkflowConfigError(
      file,
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  return parsed.data as WorkflowConfigs[Id];
}
