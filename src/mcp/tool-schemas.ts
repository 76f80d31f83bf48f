/**
 * The contract between the WhatsApp MCP server and its clients: tool names, input and output shapes (zod raw
 * shapes, as McpServer.registerTool takes them) and where error results carry `{ code, retryable }`.
 * The server registers these; the client parses results with the same schemas.
 */
import { z } from 'zod';

export const SEND_TEXT_TOOL = 'send_text_message';
export const MESSAGE_STATUS_TOOL = 'get_message_status';
/** `_meta` key of an `isError` result: `{ code: string, retryable: boolean }`. */
export const ERROR_META_KEY = 'zapflow/error';

const provider = z.enum(['meta', 'evolution', 'dry-run']);

/**
 * Clients (and models) often send a phone number as a JSON number: taken as the string of its digits. Past
 * 2^53 a JSON number has already lost digits in parsing, so those are refused rather than sent to a wrong number.
 */
const recipientNumber = z
  .union([
    z.string().min(1).max(100),
    z.number().int('number: a phone number has no decimals').nonnegative('number: a phone number is not negative')
      .refine(Number.isSafeInteger, 'number: too many digits for a JSON number; send it as a string'),
  ])
  .transform((value) => (typeof value === 'number' ? String(value) : value));

export const sendTextInputShape = {
  number: recipientNumber
    .describe('Recipient: phone number in E.164 (e.g. +5511999990000, as a string or a JSON number), a WhatsApp id (…@s.whatsapp.net, …@lid), a Meta business-scoped user id (BR.1502576394655843) or a group id (…@g.us).'),
  message: z.string().max(65_536).refine((text) => text.trim().length > 0, 'message must not be empty')
    .describe('Text to send. Over 4,096 characters it is split on sentence boundaries into several messages.'),
  instance: z.string().regex(/^[\w.-]{1,100}$/, 'instance: 1-100 letters, digits, _ . -').optional()
    .describe('Evolution instance (or Meta phone-number id) to send from; default: the configured one.'),
  idempotencyKey: z.string().min(1).max(300).optional()
    .describe('Same key again returns the first result without sending a second WhatsApp message.'),
};

export const sendTextOutputShape = {
  messageId: z.string().describe("The provider's message id (the first one when the text was split)."),
  messageIds: z.array(z.string()).describe('Every message id, in order; more than one when the text was split.'),
  status: z.string().describe('accepted (the provider took it) or dry_run (recorded only).'),
  provider,
  deduplicated: z.boolean().describe('True when this idempotencyKey had already been sent: nothing new went out.'),
};

export const messageStatusInputShape = {
  messageId: z.string().min(1).max(300).describe('A message id returned by send_text_message.'),
};

export const messageStatusOutputShape = {
  messageId: z.string(),
  status: z.string().describe('accepted, dry_run, or a later status (sent, delivered, read, failed) when one was recorded.'),
  provider,
  part: z.number().int().describe('0-based part of a split message.'),
  parts: z.number().int(),
  updatedAt: z.string(),
};

export const sendTextResultSchema = z.object(sendTextOutputShape);
export const messageStatusSchema = z.object(messageStatusOutputShape);
export const errorMetaSchema = z.object({ code: z.string(), retryable: z.boolean() });
