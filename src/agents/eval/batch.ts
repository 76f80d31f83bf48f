/**
 * Classifies JSONL text line by line for the CLI: a malformed line (not JSON, no messages, a role that is
 * not customer/bot) becomes an `{ id?, error }` record and the batch goes on.
 */
import type { Taxonomy } from '../../taxonomy/index.js';
import { unlabeledConversationSchema } from '../embedded/dataset.js';
import type { Model } from '../model.js';
import { classifyToRecord, type OutputRecord } from './records.js';

export interface BatchLine {
  /** 1-based line number in the input. */
  lineNumber: number;
  text: string;
}

/** The non-blank lines of a JSONL text, with their line numbers. */
export function jsonlLines(text: string): BatchLine[] {
  return text
    .split('\n')
    .map((line, index) => ({ lineNumber: index + 1, text: line.trim() }))
    .filter((line) => line.text !== '');
}

function idOf(json: unknown): string | undefined {
  if (json && typeof json === 'object' && 'id' in json) {
    const id = (json as { id: unknown }).id;
    if (typeof id === 'string' || typeof id === 'number') return String(id);
  }
  return undefined;
}

/** Classifies one line; never throws for bad input (the error goes into the record). */
export async function classifyLine(model: Model, taxonomy: Taxonomy, line: BatchLine, signal?: AbortSignal): Promise<OutputRecord> {
  let json: unknown;
  try {
    json = JSON.parse(line.text);
  } catch {
    return { error: `line ${line.lineNumber}: not valid JSON` };
  }
  const id = idOf(json);
  const parsed = unlabeledConversationSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return { ...(id !== undefined ? { id } : {}), error: `line ${line.lineNumber}: ${where}${issue?.message ?? 'invalid conversation'}` };
  }
  try {
    return await classifyToRecord(model, taxonomy, parsed.data, signal);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      ...(id !== undefined ? { id } : {}),
      error: `line ${line.lineNumber}: ${typeof code === 'string' ? `${code}: ` : ''}${(error as Error).message}`,
    };
  }
}
