/** The embedded (offline) model: trained classifiers behind the `Model` seam. */
export { EmbeddedModel, EMBEDDED_MODEL_ID, type EmbeddedModelLoadOptions } from './embedded-model.js';
export { PromotedEmbeddedModel, type PromotedModelOptions } from './promoted-model.js';
export { EmbeddedClassifiers, defaultEmbeddedTrainingOptions, type ConversationAnalysis, type EmbeddedTrainingOptions } from './classifiers.js';
export {
  defaultCacheDir,
  defaultTrainingSetFile,
  loadOrTrainClassifiers,
  type LoadClassifiersOptions,
  type LoadedClassifiers,
} from './store.js';
export {
  emotions,
  escalationReasons,
  labeledConversationSchema,
  parseLabeledConversations,
  readLabeledConversations,
  unlabeledConversationSchema,
  urgencies,
  type Emotion,
  type EscalationReason,
  type LabeledConversation,
  type UnlabeledConversation,
  type Urgency,
} from './dataset.js';
export { detectSignals, type EscalationSignals } from './signals.js';
export { findAmounts, largestAmount } from './amounts.js';
export { roughenConversation, type RoughenOptions } from './rough.js';
export { ModelCacheError, TrainingDataError } from './errors.js';
