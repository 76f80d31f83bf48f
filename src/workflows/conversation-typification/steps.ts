/**
 * The steps of conversation-typification, as functions of (deps) → executor. Each classification level is
 * constrained to the children of the level chosen before and stores its choice and confidence in the session
 * state (`classification`), where the next level reads it — state survives a crash between steps.
 */
import { classifyConversation, classifyLevel, validatePath } from '../../agents/classification.js';
import { hasTopic } from '../../agents/embedded/abstain.js';
import { stepRef, StepOutput, type StepExecutor } from '../../engine/index.js';
import type { TaxonomyLevel } from '../../taxonomy/index.js';
import type { WorkflowDeps } from '../deps.js';
import { PROTOCOL_GENERATION } from '../shared/protocol-step.js';
import { conversationOf, customerTexts } from '../shared/turn.js';
import type { TypificationPathIds, TypificationRecord } from '../session-state.js';
import { runState, type ClassificationFailure, type ConfidenceRoute, type TypificationInput, type TypificationRunState, type TypificationState } from './state.js';
import { buildTypificationReport } from './report.js';
import type { HandoffOutcome } from '../human-handoff/steps.js';

export type { ClassificationFailure, ConfidenceRoute, TypificationRunState } from './state.js';
export { runState } from './state.js';

type State = TypificationState;

const LEVELS: readonly TaxonomyLevel[] = ['businessUnit', 'product', 'motive', 'submotive'];

function chosenPath(run: TypificationRunState): string[] {
  const path: string[] = [];
  for (const level of LEVELS) {
    const choice = run.levels[level];
    if (!choice) break;
    path.push(choice.id);
  }
  return path;
}

export function pathIds(path: readonly string[]): TypificationPathIds | undefined {
  const [businessUnit, product, motive, submotive] = path;
  return businessUnit && product && motive && submotive ? { businessUnit, product, motive, submotive } : undefined;
}

/** Confidence of the whole path: the product of the levels' confidences (each conditional on its parent). */
export function pathConfidence(run: TypificationRunState): number {
  return LEVELS.reduce((product, level) => product * (run.levels[level]?.confidence ?? 0), 1);
}

/** `business_unit_classification`, `product_classification`, … one per level. */
export function classificationStep(deps: WorkflowDeps, level: TaxonomyLevel): StepExecutor<State> {
  const index = LEVELS.indexOf(level);
  return async (input) => {
    const run = runState(input);
    if (!run.contactCounted) {
      const state = input.workflowSessionState;
      state.contacts = (state.contacts ?? 0) + 1;
      run.contactCounted = true;
    }
    const parentPath = chosenPath(run);
    if (parentPath.length < index) {
      // An earlier level failed after its retries: nothing sensible to choose here.
      return new StepOutput({ content: { level, skipped: true, reason: 'parent level not classified' } });
    }
    const choice = await classifyLevel(deps.models.classifier, deps.taxonomy, level, parentPath, conversationOf(input), {
      signal: input.signal,
      modelId: deps.config.typification.models.classifier,
    });
    run.levels[level] = { id: choice.id, confidence: choice.confidence };
    input.workflowSessionState.classification = { ...run.levels };
    return { level, id: choice.id, label: deps.taxonomy.label(choice.id), confidence: choice.confidence, modelId: choice.modelId };
  };
}

/**
 * The confidence Router's evaluator: high → finalize, medium → validation agent, low → human. Pure (the
 * engine records the decision and reuses it on resume); each route's first step records the route.
 */
export function confidenceRoute(deps: WorkflowDeps): (input: TypificationInput) => ConfidenceRoute {
  const { high, medium } = deps.config.typification.confidence;
  return (input) => {
    const run = runState(input);
    if (chosenPath(run).length < LEVELS.length) return 'low';
    const confidence = pathConfidence(run);
    return confidence >= high ? 'high' : confidence >= medium ? 'medium' : 'low';
  };
}

/** High route: the path stands as classified. */
export function acceptPathStep(): StepExecutor<State> {
  return (input) => {
    const run = runState(input);
    run.route = 'high';
    input.workflowSessionState.lowConfidenceStreak = 0;
    return { accepted: true, confidence: pathConfidence(run) };
  };
}

/** Low route, before the nested handoff: count consecutive low-confidence turns (the handoff reads it). */
export function lowConfidenceStep(): StepExecutor<State> {
  return (input) => {
    const run = runState(input);
    const state = input.workflowSessionState;
    run.route = 'low';
    if (chosenPath(run).length < LEVELS.length) run.failure = 'model_failure';
    // A greeting ("oi", "?") or a turn naming no issue ("meu cartão", "não funciona") has no topic to be unsure
    // about: it must not bring the customer closer to a low-confidence handoff (the bot asks instead).
    if (hasTopic(conversationOf(input))) state.lowConfidenceStreak = (state.lowConfidenceStreak ?? 0) + 1;
    return { confidence: pathConfidence(run), lowConfidenceStreak: state.lowConfidenceStreak, ...(run.failure ? { failure: run.failure } : {}) };
  };
}

/** Medium confidence: a validation agent re-checks the path and may correct it (to another valid path). */
export function pathValidationStep(deps: WorkflowDeps): StepExecutor<State> {
  return async (input) => {
    const run = runState(input);
    run.route = 'medium';
    input.workflowSessionState.lowConfidenceStreak = 0;
    const path = chosenPath(run);
    deps.taxonomy.assertValidPath(path);
    const result = await validatePath(deps.models.classifier, deps.taxonomy, conversationOf(input), path, {
      signal: input.signal,
      modelId: deps.config.typification.models.validator,
    });
    run.validatedPath = result.path;
    run.validationNote = result.valid ? 'caminho confirmado pelo validador' : `caminho corrigido pelo validador (era ${path.join(' › ')})`;
    return { valid: result.valid, confidence: result.confidence, path: result.path };
  };
}

/**
 * `validation`: the full path must be a valid taxonomy path. An invalid or missing one is classified again
 * once (all four levels); if that fails too, the run records a failure and a human takes over.
 */
export function validationStep(deps: WorkflowDeps): StepExecutor<State> {
  return async (input) => {
    const run = runState(input);
    const candidate = run.validatedPath ? Object.values(run.validatedPath) : chosenPath(run);
    if (deps.taxonomy.isValidPath(candidate)) return { valid: true, path: pathIds(candidate), retried: false };
    try {
      const again = await classifyConversation(deps.models.classifier, deps.taxonomy, conversationOf(input), {
        signal: input.signal,
        modelId: deps.config.typification.models.classifier,
      });
      again.levels.forEach((l) => (run.levels[l.level] = { id: l.id, confidence: l.confidence }));
      delete run.validatedPath;
      delete run.failure;
      return { valid: true, path: pathIds(again.path), retried: true };
    } catch (error) {
      run.failure = 'invalid_classification';
      return new StepOutput({ content: { valid: false, retried: true, error: (error as Error).message } });
    }
  };
}

export function needsHumanAfterValidation(input: TypificationInput): boolean {
  const run = runState(input);
  // The low-confidence route already ran the handoff; don't hand over twice in one run.
  return run.failure !== undefined && run.route !== 'low';
}

/** `report_generation`: the pt-BR report agents read. */
export function reportStep(deps: WorkflowDeps): StepExecutor<State> {
  return (input) => {
    const run = runState(input);
    const path = run.validatedPath ? Object.values(run.validatedPath) : chosenPath(run);
    return buildTypificationReport(deps.taxonomy, {
      path,
      confidence: pathConfidence(run),
      levelConfidences: LEVELS.map((level) => run.levels[level]?.confidence ?? 0),
      route: run.route ?? 'low',
      thresholds: deps.config.typification.confidence,
      customerMessages: customerTexts(conversationOf(input)),
      lastCustomerMessages: deps.config.typification.report.lastCustomerMessages,
      ...(run.validationNote ? { validationNote: run.validationNote } : {}),
    });
  };
}

export interface TypificationOutcome {
  path: TypificationPathIds | null;
  confidence: number;
  route: ConfidenceRoute;
  protocolNumber: string;
  report: string;
  failure?: ClassificationFailure;
  /** Set when the run handed the conversation to the handoff workflow (low confidence or failure). */
  handoff?: HandoffOutcome;
}

export const REPORT_GENERATION = stepRef<string>('report_generation');
/** The nested human-handoff runs of the low-confidence route and of an invalid path. */
export const LOW_CONFIDENCE_HANDOFF = stepRef<HandoffOutcome>('low_confidence_handoff');
export const INVALID_PATH_HANDOFF = stepRef<HandoffOutcome>('invalid_path_handoff');

/** The run's result: recorded in the session (latest typification + history) and returned as content. */
export function typificationResultStep(deps: WorkflowDeps): StepExecutor<State> {
  return (input) => {
    const run = runState(input);
    const state = input.workflowSessionState;
    const protocol = input.getStepContent(PROTOCOL_GENERATION);
    const report = input.getStepContent(REPORT_GENERATION);
    // No topic yet: no path is recorded for the case (a forced leaf would mislead the agents' view).
    const topic = hasTopic(conversationOf(input));
    const path = run.failure === undefined && topic ? (run.validatedPath ?? pathIds(chosenPath(run)) ?? null) : null;
    const confidence = pathConfidence(run);
    const protocolNumber = protocol?.protocolNumber ?? '';
    if (path) {
      const record: TypificationRecord = {
        path,
        confidence,
        levelConfidences: {
          businessUnit: run.levels.businessUnit?.confidence ?? 0,
          product: run.levels.product?.confidence ?? 0,
          motive: run.levels.motive?.confidence ?? 0,
          submotive: run.levels.submotive?.confidence ?? 0,
        },
        route: run.route ?? 'low',
        protocolNumber,
        runId: input.runId,
        at: (deps.now ?? Date.now)(),
      };
      state.typification = record;
      // Earlier typifications are kept on the case (case_typifications), not here: every step of every run
      // serializes the whole state, and a 20-entry history made a conversation's 21st turn cost ~2× its first.
      // A state written before keeps its list until this turn drops it.
      delete state.typificationHistory;
    }
    const handoff = input.getStepContent(LOW_CONFIDENCE_HANDOFF) ?? input.getStepContent(INVALID_PATH_HANDOFF);
    const outcome: TypificationOutcome = {
      path,
      confidence,
      route: run.route ?? 'low',
      protocolNumber,
      report: report ?? '',
      ...(run.failure ? { failure: run.failure } : {}),
      ...(handoff !== undefined ? { handoff } : {}),
    };
    delete state.typificationRun;
    return outcome;
  };
}
