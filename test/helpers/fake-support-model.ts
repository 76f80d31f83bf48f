/**
 * Answers of a plausible support model for the fake Messages API, with Claude-like latency, so that a real
 * `zapflow serve` started with ANTHROPIC_BASE_URL pointing at FakeAnthropic runs whole turns that take as long
 * as they do in production (tens of ms per classification, a few hundred for the escalation decision):
 * - classify: the first candidate of the answer tool's enum, confidently;
 * - validate_path: the proposed path is right;
 * - escalation: a person is asked for ("atendente") → explicit_request, high urgency; otherwise no handoff.
 * `onConversation` sees each request's transcript first (a test can act while the turn is in flight).
 */
import type { FakeReply, RecordedRequest } from './fake-anthropic.js';

export interface SupportModelOptions {
  /** Latency of a classification or validation answer. @default 40 */
  classifyDelayMs?: number;
  /** Latency of the escalation decision. @default 250 */
  escalationDelayMs?: number;
  /** Called with the transcript of every request, before it is answered. */
  onConversation?: (transcript: string) => void;
}

type JsonSchema = { properties?: Record<string, { enum?: unknown[] }> };

function transcriptOf(request: RecordedRequest): string {
  const first = request.body?.messages[0];
  if (!first) return '';
  if (typeof first.content === 'string') return first.content;
  return first.content.map((block) => (typeof block.text === 'string' ? block.text : '')).join('\n');
}

export function supportModel(options: SupportModelOptions = {}): (request: RecordedRequest) => FakeReply {
  const classifyDelayMs = options.classifyDelayMs ?? 40;
  const escalationDelayMs = options.escalationDelayMs ?? 250;
  return (request) => {
    const transcript = transcriptOf(request);
    options.onConversation?.(transcript);
    const properties = (request.body?.tools?.[0]?.input_schema as JsonSchema | undefined)?.properties ?? {};
    if ('shouldEscalate' in properties) {
      const customer = transcript.split('\n').filter((line) => line.startsWith('[customer]')).join(' ');
      const escalate = /atendente/i.test(customer);
      return {
        kind: 'tool_use',
        delayMs: escalationDelayMs,
        input: escalate
          ? { shouldEscalate: true, reason: 'explicit_request', urgency: 'high', emotion: properties.emotion?.enum?.[0] ?? 'neutral', summary: 'Cliente pede um atendente.' }
          : { shouldEscalate: false, reason: null, urgency: 'low', emotion: properties.emotion?.enum?.[0] ?? 'neutral', summary: 'Dúvida de rotina.' },
      };
    }
    if ('valid' in properties) {
      const proposed = /path (\S+) > (\S+) > (\S+) > (\S+) fits/.exec(transcript);
      const [businessUnit = '', product = '', motive = '', submotive = ''] = proposed?.slice(1) ?? [];
      return { kind: 'tool_use', delayMs: classifyDelayMs, input: { valid: true, confidence: 0.95, path: { businessUnit, product, motive, submotive } } };
    }
    const candidate = properties.id?.enum?.[0];
    return { kind: 'tool_use', delayMs: classifyDelayMs, input: { id: candidate, confidence: 0.98 } };
  };
}
