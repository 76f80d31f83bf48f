/**
 * Reads the answer out of a Messages API reply and checks it: the forced tool was called, its input is JSON that
 * passes the response schema, and for 'classify' tasks the chosen id is one of the candidates (the enum in the tool
 * schema makes that likely, not certain). A failed check carries what to tell the model in the repair turn.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import type { ModelRequest } from '../model.js';
import { ANSWER_TOOL_NAME } from './prompt.js';

export type AnswerCheck<T> = { ok: true; content: T } | { ok: false; problem: string };

// Long zod reports would bloat the repair turn and the error message; the first issues say enough.
const MAX_PROBLEM_CHARS = 600;

export function readAnswer<T>(
  reply: Anthropic.Message,
  request: ModelRequest<T>,
  options: { wrapped: boolean; candidateField: string },
): AnswerCheck<T> {
  const call = reply.content.find(
    (block): block is Anthropic.ToolUseBlock => block.type === 'tool_use' && block.name === ANSWER_TOOL_NAME,
  );
  if (!call) {
    const said = textOf(reply);
    return fail(
      said
        ? `answered with text instead of calling the tool "${ANSWER_TOOL_NAME}"`
        : `did not call the tool "${ANSWER_TOOL_NAME}" (stop_reason: ${reply.stop_reason ?? 'none'})`,
    );
  }
  let input: unknown = call.input;
  if (typeof input === 'string') {
    // Some answers arrive as a JSON string instead of an object; accept it when it parses.
    try {
      input = JSON.parse(input);
    } catch (error) {
      return fail(`the tool input is not valid JSON (${(error as Error).message})`);
    }
  }
  if (options.wrapped) input = (input as { answer?: unknown } | null)?.answer;
  const parsed = request.responseSchema.safeParse(input);
  if (!parsed.success) {
    const truncated = reply.stop_reason === 'max_tokens' ? ' (the answer was cut off at max_tokens)' : '';
    return fail(`the tool input does not match the schema${truncated}: ${z.prettifyError(parsed.error)}`);
  }
  if (request.task.kind === 'classify') {
    const chosen = (parsed.data as Record<string, unknown> | null)?.[options.candidateField];
    const ids = request.task.candidates.map((candidate) => candidate.id);
    if (typeof chosen !== 'string' || !ids.includes(chosen)) {
      return fail(`"${options.candidateField}" is ${JSON.stringify(chosen)}, which is not one of the candidates: ${ids.join(', ')}`);
    }
  }
  return { ok: true, content: parsed.data };
}

/**
 * The turns that show the model its rejected answer and why. A tool call gets the protocol's own answer (a
 * tool_result with is_error); text gets a plain user message.
 */
export function repairTurns(reply: Anthropic.Message, problem: string): Anthropic.MessageParam[] {
  const retry = `Your answer was rejected: ${problem}. Call the tool "${ANSWER_TOOL_NAME}" again with a corrected answer.`;
  const call = reply.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use');
  if (call && isPlainObject(call.input)) {
    return [
      { role: 'assistant', content: [{ type: 'tool_use', id: call.id, name: call.name, input: call.input }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, is_error: true, content: retry }] },
    ];
  }
  // A tool input that is not an object cannot be sent back as a tool_use block; show it as text instead.
  const said = call ? `${call.name} input: ${JSON.stringify(call.input)}` : textOf(reply);
  const turns: Anthropic.MessageParam[] = said ? [{ role: 'assistant', content: said }] : [];
  turns.push({ role: 'user', content: retry });
  return turns;
}

function textOf(reply: Anthropic.Message): string {
  return reply.content
    .filter((block): block is Anthropic.TextBlock => block.type === 'text')
    .map((block) => block.text)
    .join('\n')
    .trim();
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(problem: string): AnswerCheck<never> {
  return { ok: false, problem: problem.length > MAX_PROBLEM_CHARS ? `${problem.slice(0, MAX_PROBLEM_CHARS)}…` : problem };
}
