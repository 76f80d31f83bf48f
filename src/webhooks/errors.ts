/**
 * Every error the webhook receivers raise, each with a stable `code` (logs, metrics and the JSON error body
 * carry it), a message that says what to do, and the original `cause` kept.
 *
 * The receivers turn these into HTTP answers (see router.ts): config errors stop the service at start,
 * auth errors are 401, malformed bodies 400, a failed `accept` 503 (so the provider redelivers).
 */

export class WebhookError extends Error {
  /** Stable, machine-readable code. Never change one: dashboards and alerts match on it. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** `createWebhookRouter` was given options it cannot work with (an empty secret, no provider at all…). */
export class WebhookConfigError extends WebhookError {
  constructor(readonly problems: string[]) {
    super('WEBHOOK_CONFIG_INVALID', `Webhook receiver options are invalid: ${problems.join('; ')}. Fix the configuration and start again.`);
  }
}

/** The request did not prove it came from the provider (bad Meta signature, wrong Evolution secret). */
export class WebhookAuthError extends WebhookError {
  constructor(
    code: 'WEBHOOK_SIGNATURE_INVALID' | 'WEBHOOK_SECRET_INVALID',
    message: string,
  ) {
    super(code, message);
  }
}

/**
 * The body is authentic but cannot be read: not JSON, not the provider's envelope, or a customer message
 * that cannot be attributed (no sender, no id) or read (a text body that is not a string). Answered 400.
 * `path` points at the offending field (schema keys and array indexes only, never payload text).
 */
export class MalformedWebhookError extends WebhookError {
  constructor(
    message: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super('WEBHOOK_MALFORMED', path ? `${path}: ${message}` : message, options);
  }
}

/** `accept` (the service's inbox write) failed; the provider gets 503 and will deliver again. */
export class WebhookAcceptError extends WebhookError {
  constructor(options: { cause: unknown }) {
    super('WEBHOOK_ACCEPT_FAILED', 'Storing the webhook batch failed, answered 503 so the provider delivers it again. Check the storage (is the database reachable?).', options);
  }
}
