/** What the console sends its model worker thread, and what comes back (structured-clone data only). */
import type { ModelVersionInfo } from '../agents/embedded/model-versions.js';

export type ModelJobRequest =
  | { kind: 'train'; dir: string; /** Labeled JSONL of the stored corrections (absent: none yet). */ corrections?: string }
  | { kind: 'evaluate'; dir: string; input: string; candidate: string };

/** One model's figures on the labeled file, in percent. */
export interface ScoredModel {
  modelId: string;
  businessUnit: number;
  fullPath: number;
  escalationPrecision: number;
  escalationRecall: number;
  /** How many scored conversations this model was trained on (its scores on them measure memory). */
  trainedOn: number;
}

export type ModelJobAnswer =
  | { kind: 'train'; version: string; conversations: number; sources: ModelVersionInfo['sources']; correctedShipped: number; seconds: number }
  | { kind: 'evaluate'; conversations: number; skippedLines: number; served: ScoredModel; candidate: ScoredModel; seconds: number };

export type ModelWorkerMessage = { ok: true; result: ModelJobAnswer } | { ok: false; message: string };
