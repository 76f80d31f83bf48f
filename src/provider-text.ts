/**
 * Reading a provider's answer body (WhatsApp senders, the Chatwoot API): JSON when it is JSON, and a short
 * flattened excerpt for error messages (providers' errors name fields, never the text we sent).
 */

/** Parsed JSON, or undefined when the body is empty or not JSON. */
export function parseJsonBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The first characters of a body, on one line, for error messages. */
export function excerpt(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
