/**
 * The console's model lab: what admins see and do about the embedded model's versions — the promoted one,
 * the trained ones, the agents' corrections no version has learned yet — and the three actions of the
 * "learn from agents" loop: train from the stored corrections, evaluate a version against the served one,
 * promote it. Training and evaluation run in a worker thread (model-lab-worker.ts), one job at a time per
 * web process; the page polls the job's state. Promotion writes active.json, which the processing side
 * follows from its next turn (src/agents/embedded/promoted-model.ts).
 *
 * Nothing about customers is logged: corrections go to a private temp file for the worker and are deleted
 * after it; logs and the audit log carry versions, counts and figures only.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseLabeledConversations } from '../agents/embedded/dataset.js';
import {
  activeModel, correctionKey, describeModelVersion, listModelVersions, promoteModelVersion, type ActiveModel, type ModelVersionFacts,
} from '../agents/embedded/model-versions.js';
import { packageRoot } from '../agents/embedded/store.js';
import { correctionToJsonl, exportCorrections, learnableCorrections } from '../cli/commands/corrections.js';
import type { ServiceStore } from '../conversations/store/types.js';
import { ZapflowError } from '../engine/index.js';
import type { Logger } from '../logging.js';
import type { Actor } from '../people/index.js';
import { workerEntry } from '../service/thread.js';
import type { Taxonomy } from '../taxonomy/index.js';
import type { ModelJobAnswer, ModelJobRequest, ModelWorkerMessage } from './model-lab-messages.js';

/** A training or evaluation is already running in this process (they share the CPU with the turns). */
export class ModelJobBusyError extends ZapflowError {
  constructor() {
    super('MODEL_JOB_BUSY', 'A training or an evaluation is already running; wait for it to finish.');
  }
}

/** The promotion was decided on a page that showed another promoted version (someone promoted meanwhile). */
export class PromotionConflictError extends ZapflowError {
  constructor(expected: string, actual: string) {
    super('PROMOTION_CONFLICT', `The promoted version changed from ${expected} to ${actual} since the page was shown; review it again.`);
  }
}

export class UnknownModelVersionError extends ZapflowError {
  constructor(what: string) {
    super('UNKNOWN_MODEL_VERSION', `${what} is not a trained version or a labeled file of this service.`);
  }
}

export interface ModelJob {
  kind: ModelJobRequest['kind'];
  /** Display name of the admin who started it. */
  startedBy: string;
  startedAt: number;
  /** The labeled file and the candidate of an evaluation. */
  input?: string;
  candidate?: string;
  state: 'running' | 'done' | 'failed';
  result?: ModelJobAnswer;
  error?: string;
}

export interface ModelOverview {
  active?: ActiveModel;
  /** Newest first. */
  versions: ModelVersionFacts[];
  corrections: number;
  /** Corrections (content + label) in no trained version. */
  pendingCorrections: number;
  /** Labeled files an evaluation can use (data/datasets/*.jsonl). */
  labeledFiles: string[];
}

export interface ModelLabOptions {
  dir: string;
  taxonomy: Taxonomy;
  serviceStore: ServiceStore;
  recordAudit: (actor: Actor, action: string, about: { detail: Record<string, unknown> }) => Promise<void>;
  logger: Logger;
  /** Where the labeled files are. @default data/datasets in the package */
  datasetsDir?: string;
  now?: () => number;
}

export const BUILTIN = 'builtin';

export class ModelLab {
  readonly #options: ModelLabOptions;
  readonly #now: () => number;
  readonly #facts = new Map<string, ModelVersionFacts>();
  #job: ModelJob | undefined;

  constructor(options: ModelLabOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get dir(): string {
    return this.#options.dir;
  }

  /** The last job this process ran (or is running). */
  job(): ModelJob | undefined {
    return this.#job;
  }

  async overview(): Promise<ModelOverview> {
    const versions = listModelVersions(this.#options.dir).map((version) => this.#describe(version)).sort((a, b) => b.createdAt - a.createdAt);
    const learned = new Set(versions.flatMap((v) => [...v.correctionKeys]));
    const corrections = await this.#corrections();
    const active = activeModel(this.#options.dir);
    return {
      ...(active ? { active } : {}),
      versions,
      corrections: corrections.length,
      pendingCorrections: corrections.filter((c) => !learned.has(correctionKey(c))).length,
      labeledFiles: this.labeledFiles(),
    };
  }

  labeledFiles(): string[] {
    return readdirSync(this.#datasetsDir()).filter((name) => name.endsWith('.jsonl')).sort();
  }

  /** Trains from the shipped labeled set plus every stored correction, in the worker thread. */
  async startTraining(actor: Actor): Promise<ModelJob> {
    // The job is running from here on, so a second click while the corrections are read is refused too.
    const job = this.#newJob(actor, 'train', {});
    let corrections: string[];
    try {
      corrections = await this.#correctionLines();
    } catch (error) {
      Object.assign(job, { state: 'failed', error: (error as Error).message });
      throw error;
    }
    const folder = mkdtempSync(join(tmpdir(), 'zapflow-corrections-'));
    let file: string | undefined;
    if (corrections.length > 0) {
      file = join(folder, 'corrections.jsonl');
      writeFileSync(file, corrections.join(''), { mode: 0o600 });
    }
    this.#run(actor, job, { kind: 'train', dir: this.#options.dir, ...(file ? { corrections: file } : {}) }, () => rmSync(folder, { recursive: true, force: true }));
    return job;
  }

  /** Scores `candidate` and the served model on one labeled file, in the worker thread. */
  startEvaluation(actor: Actor, candidate: string, labeledFile: string): ModelJob {
    if (!listModelVersions(this.#options.dir).includes(candidate)) throw new UnknownModelVersionError(candidate);
    if (!this.labeledFiles().includes(labeledFile)) throw new UnknownModelVersionError(labeledFile);
    const job = this.#newJob(actor, 'evaluate', { input: labeledFile, candidate });
    this.#run(actor, job, { kind: 'evaluate', dir: this.#options.dir, input: join(this.#datasetsDir(), labeledFile), candidate });
    return job;
  }

  /** Serves `version` from the next turn on; `expectedFrom` is the promoted version the admin was shown. */
  async promote(actor: Actor, version: string, expectedFrom: string): Promise<{ from: string; to: string }> {
    if (!listModelVersions(this.#options.dir).includes(version)) throw new UnknownModelVersionError(version);
    const from = activeModel(this.#options.dir)?.version ?? BUILTIN;
    if (from !== expectedFrom) throw new PromotionConflictError(expectedFrom, from);
    promoteModelVersion(version, this.#options.taxonomy, { dir: this.#options.dir, by: actor.kind === 'user' ? actor.username : actor.name, now: new Date(this.#now()) });
    await this.#options.recordAudit(actor, 'model_promote', { detail: { from, to: version } });
    this.#options.logger.info({ from, to: version }, 'embedded model version promoted from the console');
    return { from, to: version };
  }

  #newJob(actor: Actor, kind: ModelJob['kind'], about: Pick<ModelJob, 'input' | 'candidate'>): ModelJob {
    if (this.#job?.state === 'running') throw new ModelJobBusyError();
    this.#job = { kind, startedBy: actor.kind === 'user' ? actor.displayName : actor.name, startedAt: this.#now(), state: 'running', ...about };
    return this.#job;
  }

  #run(actor: Actor, job: ModelJob, request: ModelJobRequest, cleanup = () => {}): void {
    const { entry, eval: isEval } = workerEntry(import.meta.url, 'model-lab-worker');
    let worker: Worker;
    try {
      worker = new Worker(entry, { name: `zapflow-model-${request.kind}`, workerData: request, eval: isEval });
    } catch (error) {
      cleanup();
      Object.assign(job, { state: 'failed', error: (error as Error).message });
      throw error;
    }
    // A job in flight must not keep a stopping service alive; its result only matters to this page.
    worker.unref();
    let settled = false;
    const finish = (message: ModelWorkerMessage) => {
      if (settled) return;
      settled = true;
      cleanup();
      if (message.ok) Object.assign(job, { state: 'done', result: message.result });
      else Object.assign(job, { state: 'failed', error: message.message });
      void this.#audit(actor, job);
    };
    worker.once('message', (message: ModelWorkerMessage) => finish(message));
    worker.once('error', (error) => finish({ ok: false, message: error.message }));
    worker.once('exit', (code) => finish({ ok: false, message: `the ${request.kind} thread stopped (exit code ${code}) before answering` }));
  }

  async #audit(actor: Actor, job: ModelJob): Promise<void> {
    const result = job.result;
    const detail: Record<string, unknown> = result?.kind === 'train'
      ? { outcome: 'done', version: result.version, conversations: result.conversations, corrections: result.sources.filter((s) => s.kind === 'corrections').reduce((n, s) => n + s.conversations, 0), seconds: round(result.seconds) }
      : result?.kind === 'evaluate'
        ? {
          outcome: 'done', file: job.input, served: result.served.modelId, candidate: result.candidate.modelId, conversations: result.conversations,
          fullPath: [result.served.fullPath, result.candidate.fullPath], escalationRecall: [result.served.escalationRecall, result.candidate.escalationRecall],
        }
        : { outcome: 'failed', error: job.error, ...(job.candidate ? { candidate: job.candidate } : {}) };
    try {
      await this.#options.recordAudit(actor, job.kind === 'train' ? 'model_train' : 'model_evaluate', { detail });
    } catch (error) {
      this.#options.logger.error({ err: error }, 'the model job finished but its audit entry could not be written');
    }
    this.#options.logger.info({ job: job.kind, ...detail }, `embedded model ${job.kind} ${job.state}`);
  }

  #describe(version: string): ModelVersionFacts {
    let facts = this.#facts.get(version);
    if (!facts) {
      facts = describeModelVersion(version, this.#options.dir);
      this.#facts.set(version, facts);
    }
    return facts;
  }

  /** The stored corrections as `zapflow corrections export` writes them (one JSONL line each). */
  async #correctionLines(): Promise<string[]> {
    const lines: string[] = [];
    await exportCorrections(this.#options.serviceStore, (line) => lines.push(line));
    return lines;
  }

  /** The stored corrections as labeled conversations; counting needs content and label only (no case look-ups). */
  async #corrections() {
    const lines = (await learnableCorrections(this.#options.serviceStore)).map((c) => `${correctionToJsonl(c)}\n`);
    return lines.length === 0 ? [] : parseLabeledConversations(lines.join(''), 'stored corrections');
  }

  #datasetsDir(): string {
    return this.#options.datasetsDir ?? join(packageRoot(), 'data', 'datasets');
  }
}

const round = (seconds: number) => Math.round(seconds * 100) / 100;
