/**
 * Proving a request came from the provider, before anything reads its body as JSON.
 *
 * Meta signs the exact bytes it sends (its escaped wire form: `\u00e3`, `\/`, `\u0040`), so the HMAC is
 * computed over the raw body; hashing a re-serialized body would reject valid deliveries.
 * Evolution signs nothing; see `verifyEvolutionCredential` for what is accepted and why.
 * Every comparison is constant-time, so response timing does not leak how much of a guess was right.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Constant-time string equality that also hides the expected length (both sides hashed first). */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

const META_SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/** Whether a header has the form of a signature at all (checked before reading the body). */
export function isMetaSignatureHeader(header: string | undefined): boolean {
  return header !== undefined && META_SIGNATURE.test(header.trim());
}

/**
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(appSecret, raw body)>`. Missing, unprefixed, malformed,
 * or only the legacy SHA-1 `X-Hub-Signature` → false.
 */
export function verifyMetaSignature(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  if (header === undefined) return false;
  const match = META_SIGNATURE.exec(header.trim());
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1], 'hex');
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return timingSafeEqual(given, expected);
}

/** The request headers Evolution can carry a credential in (already lower-cased by Node). */
export interface EvolutionCredentialHeaders {
  apikey?: string | string[] | undefined;
  authorization?: string | undefined;
}

/**
 * Evolution authentication. Accepted, each compared in constant time:
 * - header `apikey: <secret>`: a static header of the instance's webhook config (Evolution ≥ 2.1.1),
 *   what the fixtures and the docs' examples use;
 * - header `Authorization: Bearer <secret>`: the same static-header mechanism, for operators who prefer it;
 * - header `Authorization: Bearer <JWT>` when the instance is configured with `webhook.headers.jwt_key` set
 *   to the secret (Evolution ≥ 2.3.0): HS256, claims `app: "evolution"`, `action: "webhook"`, not expired.
 *   Better than a static header (the secret itself never travels), though still not bound to the body.
 *
 * - the body field `apikey` (see `verifyEvolutionBodyApikey`), when no header carries a credential.
 *
 * Not accepted:
 * - a secret in the URL: Evolution writes the full webhook URL into its logs (every failed delivery, and
 *   every delivery with webhook logging on), with `webhook_by_events` it appends `/<event>` to the URL,
 *   which mangles a query-string token, and proxies log URLs too. Instances that cannot send headers (v2.0.x,
 *   global webhooks) should be upgraded (≥ 2.1.1) or put behind a proxy that adds the header.
 */
export function verifyEvolutionCredential(headers: EvolutionCredentialHeaders, secret: string, nowMs: number): boolean {
  const apikey = headers.apikey;
  if (typeof apikey === 'string' && safeEqual(apikey.trim(), secret)) return true;
  const authorization = headers.authorization?.trim();
  if (!authorization || !/^bearer\s/i.test(authorization)) return false;
  const token = authorization.slice(7).trim();
  if (safeEqual(token, secret)) return true;
  return verifyEvolutionJwt(token, secret, nowMs);
}

/**
 * Evolution's default webhook (no custom headers) puts the instance's API token in the body as `apikey`
 * (when `AUTHENTICATION_EXPOSE_IN_FETCH_INSTANCES` is on, its default). Set EVOLUTION_WEBHOOK_SECRET to that
 * token to accept those deliveries. Weaker than a header (the token is the instance's own key, and it sits
 * inside the body), so a header, when present, is what counts; compared in constant time like the rest.
 */
export function verifyEvolutionBodyApikey(body: unknown, secret: string): boolean {
  if (!isRecord(body) || typeof body.apikey !== 'string') return false;
  return safeEqual(body.apikey.trim(), secret);
}

/** Clock skew tolerated between Evolution's server and ours. */
const JWT_LEEWAY_SECONDS = 60;

function decodeJsonSegment(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** HS256 JWT as Evolution's `jwt_key` produces it: `{iat, exp: iat + 600, app: "evolution", action: "webhook"}`. */
export function verifyEvolutionJwt(token: string, secret: string, nowMs: number): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
  const header = decodeJsonSegment(headerPart);
  // Only HS256: accepting the token's own `alg` is the classic "alg: none" forgery.
  if (!isRecord(header) || header.alg !== 'HS256') return false;
  const expected = createHmac('sha256', secret).update(`${headerPart}.${payloadPart}`).digest();
  const given = Buffer.from(signaturePart, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  const claims = decodeJsonSegment(payloadPart);
  if (!isRecord(claims) || claims.app !== 'evolution' || claims.action !== 'webhook') return false;
  const nowSeconds = nowMs / 1000;
  if (typeof claims.exp !== 'number' || claims.exp + JWT_LEEWAY_SECONDS < nowSeconds) return false;
  if (typeof claims.iat === 'number' && claims.iat - JWT_LEEWAY_SECONDS > nowSeconds) return false;
  return true;
}
