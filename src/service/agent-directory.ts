/**
 * Where an agent can be reached on WhatsApp: the accounts (users table) know agents' phones. While an agent
 * holds a conversation, the customer's messages are forwarded to that phone instead of every alert number.
 */
export interface AgentDirectory {
  /** The agent's own WhatsApp number (E.164 digits), or undefined when they have none (or are unknown). */
  phoneOf(userId: string): Promise<string | undefined>;
}

/** Nobody has a phone on file: forwarded messages go to the alert numbers. */
export const NO_AGENT_PHONES: AgentDirectory = { phoneOf: async () => undefined };
