/**
 * Chatwoot's webhook signature. Account webhooks are signed since v4.11.2 (chatwoot#13573), agent-bot and
 * API-inbox webhooks since v4.13.0 (chatwoot#13892), each with its own secret (for a bot: the "secret" shown
 * in the agent bot's settings, not its access token):
 *
 *   X-Chatwoot-Timestamp: <unix seconds when sent>
 *   X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * The timestamp is inside the signed string, so a captured delivery cannot be replayed with a fresh one; a
 * delivery older (or newer) than the tolerance is refused. Older Chatwoot versions sign nothing: there the
 * secret in the URL (CHATWOOT_WEBHOOK_TOKEN) is the only proof, and CHATWOOT_WEBHOOK_SECRET stays unset.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far the sender's clock may be from ours, either way (Chatwoot's own guidance: about 5 minutes). */
export const CHATWOOT_SIGNATURE_TOLERANCE_SECONDS = 300;

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;
const TIMESTAMP = /^\d{1,12}$/;

export function signChatwootBody(secret: string, timestampSeconds: number | string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.`).update(rawBody).digest('hex')}`;
}

/** Constant-time check of both headers against the raw body; false when either is missing, malformed or stale. */
export function verifyChatwootSignature(
  rawBody: Buffer,
  headers: { signature: string | undefined; timestamp: string | undefined },
  secret: string,
  nowMs: number,
): boolean {
  const match = SIGNATURE.exec(headers.signature?.trim() ?? '');
  const timestamp = headers.timestamp?.trim() ?? '';
  if (!match?.[1] || !TIMESTAMP.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > CHATWOOT_SIGNATURE_TOLERANCE_SECONDS) return false;
  const given = Buffer.from(match[1], 'hex');
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  return timingSafeEqual(given, expected);
}
