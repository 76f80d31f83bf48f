/**
 * k-fold cross-validation of the embedded model on a labeled set: folds stratified by submotive with a
 * fixed seed; each fold's model is trained on the other folds only and scores the held-out fold through
 * the same calls the product makes. Optionally the held-out fold is rewritten in rough WhatsApp style
 * first (closer to how the product is judged).
 */
import type { Taxonomy } from '../../taxonomy/index.js';
import { EmbeddedClassifiers, defaultEmbeddedTrainingOptions, type EmbeddedTrainingOptions } from '../embedded/classifiers.js';
import type { LabeledConversation } from '../embedded/dataset.js';
import { EmbeddedModel } from '../embedded/embedded-model.js';
import { seededRandom, shuffleInPlace } from '../embedded/random.js';
import type { ConversationMessage } from '../model.js';
import { evaluate, type EvaluationReport } from './metrics.js';
import { classifyToRecord, type ClassificationRecord } from './records.js';

/** Fold index per conversation: each submotive's examples spread evenly over the folds. */
export function stratifiedFolds(conversations: readonly LabeledConversation[], folds: number, seed: number): number[] {
  const random = seededRandom(seed);
  const byLeaf = new Map<string, number[]>();
  conversations.forEach((c, i) => byLeaf.set(c.label.submotive, [...(byLeaf.get(c.label.submotive) ?? []), i]));
  const assignment = new Array<number>(conversations.length).fill(0);
  let next = 0;
  for (const leaf of [...byLeaf.keys()].sort()) {
    for (const index of shuffleInPlace(byLeaf.get(leaf) as number[], random)) {
      assignment[index] = next % folds;
      next++;
    }
  }
  return assignment;
}

export interface CrossValidationOptions {
  taxonomy: Taxonomy;
  conversations: readonly LabeledConversation[];
  /** @default 5 */
  folds?: number;
  /** @default 42 */
  seed?: number;
  training?: EmbeddedTrainingOptions;
  /** Rewrites each held-out conversation before scoring (e.g. rough style); gets a per-conversation seed. */
  transformHeldOut?: (messages: readonly ConversationMessage[], seed: number) => ConversationMessage[];
}

export async function crossValidate(options: CrossValidationOptions): Promise<EvaluationReport> {
  const folds = options.folds ?? 5;
  const assignment = stratifiedFolds(options.conversations, folds, options.seed ?? 42);
  const records: ClassificationRecord[] = [];
  for (let fold = 0; fold < folds; fold++) {
    const training = options.conversations.filter((_, i) => assignment[i] !== fold);
    const heldOut = options.conversations.filter((_, i) => assignment[i] === fold);
    const model = new EmbeddedModel(EmbeddedClassifiers.train(options.taxonomy, training, options.training ?? defaultEmbeddedTrainingOptions));
    for (const [index, conversation] of heldOut.entries()) {
      const messages = options.transformHeldOut ? options.transformHeldOut(conversation.messages, 7919 * fold + index) : conversation.messages;
      // Sequential on purpose: the embedded model is synchronous underneath, and order keeps runs reproducible.
      records.push(await classifyToRecord(model, options.taxonomy, { id: conversation.id, messages }));
    }
  }
  return evaluate(options.conversations, records);
}
