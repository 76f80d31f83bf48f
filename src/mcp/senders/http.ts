/**
 * One JSON POST to a provider with a hard per-request timeout, turning transport failures into
 * `WhatsAppSendError`s (timeouts and unreachable hosts are retryable: the provider may be back soon).
 */
import { WhatsAppSendError } from '../errors.js';

export interface JsonResponse {
  status: number;
  /** Parsed JSON, or undefined when the body was empty or not JSON. */
  body: unknown;
  /** The raw text, for error messages (truncated by the caller). */
  text: string;
}

export async function postJson(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  timeoutMs: number,
  providerName: string,
): Promise<JsonResponse> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw new WhatsAppSendError(
        'PROVIDER_TIMEOUT',
        `${providerName} did not answer within ${timeoutMs} ms; the message may or may not have been sent. Retrying with the same idempotency key is safe.`,
        true, {}, { cause: error },
      );
    }
    throw new WhatsAppSendError(
      'PROVIDER_UNREACHABLE',
      `${providerName} could not be reached (${describeNetworkError(error)}); retrying later can help.`,
      true, {}, { cause: error },
    );
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new WhatsAppSendError(
      'PROVIDER_TIMEOUT',
      `${providerName} started answering but the body did not arrive within ${timeoutMs} ms; retrying can help.`,
      true, { httpStatus: response.status }, { cause: error },
    );
  }
  return { status: response.status, body: parseJson(text), text };
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  return error instanceof Error ? error.message : String(error);
}

/** The first characters of a provider body, for error messages (never the message we sent). */
export function excerpt(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** Joins a configured base URL and a path without doubling or dropping slashes. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
