/** Builds the model the CLI was asked for (`--model embedded|claude`). */
import { defaultTaxonomy } from '../../taxonomy/index.js';
import { ClaudeModel, GuidedClaudeModel } from '../claude/index.js';
import { readLabeledConversations } from '../embedded/dataset.js';
import { defaultTrainingSetFile } from '../embedded/store.js';
import { EmbeddedModel } from '../embedded/embedded-model.js';
import { ModelConfigError } from '../errors.js';
import type { Model } from '../model.js';

export type ModelChoice = 'embedded' | 'claude';

export function isModelChoice(value: string): value is ModelChoice {
  return value === 'embedded' || value === 'claude';
}

export function createModel(choice: ModelChoice, env: NodeJS.ProcessEnv = process.env): Model {
  if (choice === 'embedded') return EmbeddedModel.load({ taxonomy: defaultTaxonomy() });
  const apiKey = env.ANTHROPIC_API_KEY;
  if (!apiKey) {
    throw new ModelConfigError('--model claude needs ANTHROPIC_API_KEY in the environment (or use --model embedded, which works offline).');
  }
  const claude = new ClaudeModel({
    apiKey,
    ...(env.ANTHROPIC_BASE_URL ? { baseURL: env.ANTHROPIC_BASE_URL } : {}),
    ...(env.CLAUDE_CLASSIFIER_MODEL ? { defaultModelId: env.CLAUDE_CLASSIFIER_MODEL } : {}),
    ...(env.CLAUDE_ESCALATION_MODEL ? { modelIdByTask: { escalation: env.CLAUDE_ESCALATION_MODEL } } : {}),
  });
  // Few-shot examples and an escalation second opinion from the embedded model (see claude/guided-model.ts).
  return new GuidedClaudeModel(claude, EmbeddedModel.load({ taxonomy: defaultTaxonomy() }), readLabeledConversations(defaultTrainingSetFile()));
}
