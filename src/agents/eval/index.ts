/** Evaluation of classifiers: output records, metrics, cross-validation. */
export { classifyToRecord, isErrorRecord, type ClassificationRecord, type ErrorRecord, type OutputRecord } from './records.js';
export { evaluate, formatReport, type Confusion, type EvaluationReport } from './metrics.js';
export { crossValidate, stratifiedFolds, type CrossValidationOptions } from './cross-validation.js';
export { classifyLine, jsonlLines, type BatchLine } from './batch.js';
export { createModel, isModelChoice, type ModelChoice } from './model-choice.js';
export { progressBar, type Progress } from './progress.js';
