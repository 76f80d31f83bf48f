/** What every group of contract cases receives: the storage under test and a way to open a second instance. */
import { randomUUID } from 'node:crypto';
import type { RunRecord, StepResultRecord, Storage } from '../../../src/engine/storage/types.js';
import type { Backend, TestDatabase } from '../backends.js';

export interface ContractContext {
  backend: Backend['name'];
  /** The initialised storage of the current test (a fresh database per test). */
  storage(): Storage;
  /** The current test's database: `open()` gives a second instance on it. */
  db(): TestDatabase;
}

export const T0 = 1_700_000_000_000;

export function makeRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    runId: `run-${randomUUID()}`,
    workflowName: 'typification',
    sessionId: 'conv-1',
    status: 'running',
    input: { message: 'oi, quero cancelar', userId: 'u1', additionalData: { channel: 'meta' } },
    initialState: { turns: 1 },
    leaseOwner: 'proc-a',
    leaseExpiresAt: T0 + 30_000,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function makeStep(runId: string, stepPath: string, overrides: Partial<StepResultRecord> = {}): StepResultRecord {
  return {
    runId,
    stepPath,
    stepName: stepPath.split('/').at(-1) ?? stepPath,
    stepType: 'step',
    status: 'completed',
    output: { content: `output of ${stepPath}`, success: true },
    stateDelta: { set: { [`done_${stepPath}`]: true }, deleted: [] },
    attempts: 1,
    startedAt: T0 + 1,
    finishedAt: T0 + 2,
    ...overrides,
  };
}
