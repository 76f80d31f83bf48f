/**
 * The ports of the message path: what the workflows and the outbox need from the outside world, implemented
 * elsewhere (the WhatsApp MCP client implements `Notifier` and `CustomerMessenger`). Declarations only, so that
 * workflows and src/mcp can depend on them without depending on the pipeline that wires them.
 */

export type Urgency = 'low' | 'medium' | 'high' | 'critical';

/** What agents receive when a conversation needs a person (and again on SLA re-alerts). */
export interface AgentAlert {
  protocolNumber: string;
  conversationKey: string;
  urgency: Urgency;
  reason: string;
  /** Ready-to-send pt-BR text (alert wording comes from the workflow config). */
  text: string;
  /** 0 for the first alert, 1.. for SLA re-alerts. */
  realert?: number;
  /** The conversation in the console (`${PUBLIC_URL}/console/conversations/<key>`). */
  link?: string;
  /**
   * Send to these numbers instead of the configured alert numbers: the claiming agent's own phone, for
   * customer messages forwarded while they hold the conversation.
   */
  recipients?: string[];
}

export interface NotificationReceipt {
  /** One entry per recipient (alert numbers or a group). */
  deliveries: Array<{ recipient: string; messageId: string; status: string }>;
}

export interface Notifier {
  /**
   * Sends the alert to every configured agent recipient. `idempotencyKey` is stable per run + step, so a
   * retried delivery never produces a second WhatsApp message. Throws when delivery failed; the error says
   * whether retrying can help (`retryable`).
   */
  sendAgentAlert(alert: AgentAlert, idempotencyKey: string): Promise<NotificationReceipt>;
}

/** Replies to the customer (acknowledgements, self-service answers, the text-only notice). */
export interface CustomerMessenger {
  sendToCustomer(conversationKey: string, text: string, idempotencyKey: string): Promise<{ messageId: string }>;
}
