/**
 * One JSON POST to a provider with a hard per-request timeout, turning transport failures into
 * `WhatsAppSendError`s (timeouts and unreachable hosts are retryable: the provider may be back soon).
 *
 * node:http(s) rather than `fetch`: every reply of every turn is one of these, and fetch's WHATWG
 * machinery (Request, Headers, body streams, the AbortSignal) cost ~3× the CPU of a plain request on the
 * same keep-alive connection (measured: ~290 vs ~90 µs a POST on loopback) for nothing a JSON POST uses.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parseJsonBody } from '../../provider-text.js';
import { WhatsAppSendError } from '../errors.js';

export interface JsonResponse {
  status: number;
  /** Parsed JSON, or undefined when the body was empty or not JSON. */
  body: unknown;
  /** The raw text, for error messages (truncated by the caller). */
  text: string;
}

/** The exchange ran past its deadline (before or after the answer's status arrived). */
class DeadlineError extends Error {
  override readonly name = 'TimeoutError';
}

export async function postJson(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  timeoutMs: number,
  providerName: string,
): Promise<JsonResponse> {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  let response: IncomingMessage | undefined;
  try {
    return await new Promise<JsonResponse>((resolve, reject) => {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers, 'content-length': payload.length },
      }, (answer) => {
        response = answer;
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          clearTimeout(deadline);
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: answer.statusCode ?? 0, body: parseJsonBody(text), text });
        });
        // A connection that closes before the body ended errors the answer (ECONNRESET "aborted").
        answer.on('error', fail);
      });
      // One deadline for the whole exchange, the body included (as fetch's AbortSignal.timeout was).
      const deadline = setTimeout(() => request.destroy(new DeadlineError(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
      deadline.unref();
      function fail(error: Error): void {
        clearTimeout(deadline);
        reject(error);
      }
      request.on('error', fail);
      request.end(payload);
    });
  } catch (error) {
    if (response) {
      throw new WhatsAppSendError(
        'PROVIDER_TIMEOUT',
        `${providerName} started answering but the body did not arrive within ${timeoutMs} ms; retrying can help.`,
        true, { httpStatus: response.statusCode ?? 0 }, { cause: error },
      );
    }
    if (error instanceof DeadlineError) {
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
}


function describeNetworkError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}


/** Joins a configured base URL and a path without doubling or dropping slashes. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
