/**
 * A fake Anthropic Messages API that answers EVERY request, after `delayMs`, with a valid forced-tool answer
 * built from the request's own input_schema (first candidate of an enum, confident numbers, `valid: true`, no
 * escalation). For load tests and benchmarks of whole zapflow processes (`ANTHROPIC_BASE_URL`), where a
 * scripted reply per request is impractical. Wire format as in ./fake-anthropic.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type JsonSchema = Record<string, unknown>;

/** A minimal value the schema accepts; `name` is the property it is for (a few names get a meaningful value). */
export function answerFor(schema: JsonSchema, name = ''): unknown {
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if ('const' in schema) return schema.const;
  const variants = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (variants) return answerFor(variants.find((v) => v.type === 'null') ?? variants[0] ?? {}, name);
  const type = Array.isArray(schema.type) ? (schema.type.includes('null') ? 'null' : String(schema.type[0])) : schema.type;
  switch (type) {
    case 'null':
      return null;
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      return Object.fromEntries(Object.entries(properties).map(([key, sub]) => [key, answerFor(sub, key)]));
    }
    case 'array':
      return [];
    case 'boolean':
      return name === 'valid';
    case 'number':
    case 'integer': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : 0;
      const max = typeof schema.maximum === 'number' ? schema.maximum : 1;
      return Math.min(max, Math.max(min, 0.95));
    }
    default:
      return name === 'summary' ? 'Cliente pediu ajuda com a maquininha.' : 'ok';
  }
}

export interface FakeClaude {
  readonly baseURL: string;
  /** Messages requests answered so far. */
  readonly answered: () => number;
  close(): Promise<void>;
}

export async function startFakeClaude(options: { delayMs?: number } = {}): Promise<FakeClaude> {
  const delayMs = options.delayMs ?? 0;
  let answered = 0;
  let counter = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const id = ++counter;
      let body: { model?: string; tools?: Array<{ name: string; input_schema: JsonSchema }>; tool_choice?: { name?: string } } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"type":"error","error":{"type":"invalid_request_error","message":"not JSON"}}');
        return;
      }
      const tool = body.tools?.find((t) => t.name === body.tool_choice?.name) ?? body.tools?.[0];
      const reply = JSON.stringify({
        id: `msg_fake_${id}`, type: 'message', role: 'assistant', model: body.model ?? 'claude-fake',
        content: [{ type: 'tool_use', id: `toolu_fake_${id}`, name: tool?.name ?? 'answer', input: answerFor(tool?.input_schema ?? { type: 'object' }) }],
        stop_reason: 'tool_use', stop_sequence: null,
        usage: { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      });
      const send = () => {
        if (res.destroyed) return;
        answered++;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(reply), 'request-id': `req_fake_${id}` });
        res.end(reply);
      };
      if (delayMs <= 0) return send();
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, delayMs);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answered: () => answered,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
