/** Errors of the embedded model's training data and cache, each with a stable `code`. */
import { ZapflowError } from '../../engine/index.js';

/** The labeled training set is missing or has a bad line. */
export class TrainingDataError extends ZapflowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EMBEDDED_TRAINING_DATA', message, options);
  }
}

/** A cached model file could not be read (truncated, another format). It is rebuilt from the training data. */
export class ModelCacheError extends ZapflowError {
  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super('EMBEDDED_MODEL_CACHE', `The cached embedded model ${file} is unusable (${problem}); delete it and it will be rebuilt.`, options);
  }
}
