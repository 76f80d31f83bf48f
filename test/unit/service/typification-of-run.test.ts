/**
 * A turn records its typification on the case from the conversation's state: it reads only its own run's
 * record (checked alone), so one odd entry elsewhere in the state never hides it, and a run that recorded
 * none (no topic yet) records nothing.
 */
import { describe, expect, it } from 'vitest';
import { typificationOfRun, type TypificationRecord } from '../../../src/workflows/session-state.js';

const record = (runId: string, submotive: string, at: number): TypificationRecord => ({
  path: { businessUnit: 'cards', product: 'credit_card', motive: 'card_limit', submotive },
  confidence: 0.9,
  levelConfidences: { businessUnit: 0.99, product: 0.97, motive: 0.95, submotive: 0.9 },
  route: 'high',
  protocolNumber: '20261207000001',
  runId,
  at,
});

describe('typificationOfRun', () => {
  it('finds the run’s record in the history, or as the latest typification', () => {
    const first = record('run-1', 'limit_increase', 1);
    const second = record('run-2', 'limit_query', 2);
    const state = { typification: second, typificationHistory: [first, second], contacts: 2 };
    expect(typificationOfRun(state, 'run-1')).toEqual(first);
    expect(typificationOfRun({ typification: second }, 'run-2')).toEqual(second);
  });

  it('is not hidden by an odd entry of another run, and finds nothing for a run that recorded none', () => {
    const mine = record('run-3', 'limit_query', 3);
    const state = { typification: mine, typificationHistory: [{ runId: 'run-0', path: 'hand-written' }, mine], escalation: { broken: true } };
    expect(typificationOfRun(state, 'run-3')).toEqual(mine);
    expect(typificationOfRun(state, 'run-0')).toBeUndefined();
    expect(typificationOfRun(state, 'run-9')).toBeUndefined();
    expect(typificationOfRun(undefined, 'run-3')).toBeUndefined();
  });
});
