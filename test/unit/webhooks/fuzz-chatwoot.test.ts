/**
 * Fuzz: Chatwoot fixtures damaged at the byte and JSON level, and made-up bodies. Whatever arrives, the
 * receiver's parsing and normalization either refuse it as malformed (a 400) or produce a batch that passes
 * the schemas: no other error (which would be a 500 and make Chatwoot hand the conversation to people).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonBody } from '../../../src/webhooks/batch.js';
import { normalizeChatwootWebhook } from '../../../src/webhooks/chatwoot/normalize.js';
import { MalformedWebhookError } from '../../../src/webhooks/errors.js';
import { cleanBatch } from '../../../src/webhooks/identifiers.js';
import { AcceptedBatchSchema } from '../../../src/webhooks/types.js';
import { bodyArb } from '../../helpers/webhook-mutations.js';

const dir = join(import.meta.dirname, '../../fixtures/chatwoot');
const fixtures = readdirSync(dir).filter((file) => file !== 'manifest.json').map((file) => readFileSync(join(dir, file)));
const context = { ignore: { fromMe: false, groups: true, reactions: true }, receivedAt: 1_773_152_600_000 };

describe('Chatwoot webhook fuzz', () => {
  it('1,000 damaged and made-up bodies: a valid batch or a 400, nothing else', () => {
    const outcomes = { accepted: 0, malformed: 0, inbound: 0 };
    fc.assert(
      fc.property(bodyArb(fixtures, (value) => JSON.stringify(value), (junk) => ({ event: 'message_created', ...(typeof junk === 'object' && junk !== null ? junk : { junk }) })), ({ body }) => {
        try {
          const batch = cleanBatch(normalizeChatwootWebhook(parseJsonBody(body), context));
          expect(AcceptedBatchSchema.safeParse(batch).success).toBe(true);
          outcomes.accepted++;
          outcomes.inbound += batch.messages.length;
        } catch (error) {
          if (!(error instanceof MalformedWebhookError)) throw error;
          outcomes.malformed++;
        }
      }),
      { numRuns: 1000, seed: 20 },
    );
    // Both paths were really taken, and customer messages survived some of the damage.
    expect(outcomes.accepted).toBeGreaterThan(100);
    expect(outcomes.malformed).toBeGreaterThan(100);
    expect(outcomes.inbound).toBeGreaterThan(10);
  });
});
