/**
 * The processing side in a worker thread, seen from the request thread.
 *
 * Why a thread: at 1,000 webhooks/s a single event loop is saturated — acks take about 60 % of a core and
 * each conversation turn 3.5–4 ms of CPU (storage transactions, the classifier), so acks queued behind turns
 * and their p99 was 3.5–7× that of a bare receiver. With the turns on the second core, the request thread
 * only verifies, stores (the inbox row is committed before the 200, as before) and acks, then posts the
 * conversation keys here. Nothing acked depends on this message arriving: a worker that dies, or a
 * process that is killed, leaves the rows in the inbox for the next start.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config.js';
import type { AdminWorkflowsPort } from './port.js';
import type { Logger } from '../logging.js';
import { WORKFLOW_IDS } from '../workflows/registry.js';
import {
  CALL_TIMEOUTS_MS, fromWorkerSchema, parseCallResult, ProcessingCallTimeoutError, ProcessingThreadError, type CallArgs, type CallMethod, type CallResult, type ToWorker,
} from './messages.js';
import type { ProcessingPort, RunObservation } from './port.js';

export interface ProcessingThreadOptions {
  config: Config;
  /** Read by the worker's dispatcher before each turn: the concurrency the acks leave it. */
  intakePressure?: SharedArrayBuffer;
  /** Read by the worker's SQLite stores before each write: an inbox commit waiting for the lock. */
  sqliteWriteGate?: SharedArrayBuffer;
  /** The request thread spools the webhooks on SQLite: the worker moves them into the inbox (../conversations/store/sqlite-intake-spool.ts). */
  intakeSpool?: boolean;
  logger: Logger;
  /** Each run the worker finished (recorded by the request thread's metrics). */
  onRunObserved?: (observation: RunObservation) => void;
  /**
   * The worker died outside stop(): no turn will be processed any more (acked messages wait in the inbox).
   * `zapflow serve` exits non-zero so that the supervisor restarts the whole service.
   */
  onCrash?: (error: Error) => void;
  /** Longest wait for each call's reply (messages.ts CALL_TIMEOUTS_MS). @default CALL_TIMEOUTS_MS */
  callTimeoutsMs?: Partial<Record<CallMethod, number>>;
}

interface PendingCall {
  method: CallMethod;
  /** Checks the reply's value against the method's declared result, then settles the call. */
  settle: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A worker's entry (`name`, beside the module at `base`): the compiled .js in a build. From source (tsx, vitest) the .ts, behind a two-line
 * bootstrap that registers tsx's loader inside the worker: Node 20 neither passes the parent's loader hooks
 * to a worker nor honours `--import` in a worker's execArgv.
 */
export function workerEntry(base = import.meta.url, name = 'worker-entry'): { entry: URL | string; eval: boolean } {
  if (!base.endsWith('.ts')) return { entry: new URL(`./${name}.js`, base), eval: false };
  const tsxApi = pathToFileURL(createRequire(base).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const entry = new URL(`./${name}.ts`, base).href;
  return { entry: `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`, eval: true };
}

export class ProcessingThread implements ProcessingPort {
  readonly mode = 'thread' as const;
  readonly workflows: AdminWorkflowsPort;
  modelProvider = 'unknown';
  private readonly worker: Worker;
  private readonly calls = new Map<number, PendingCall>();
  private readonly toNotify = new Set<string>();
  private notifyFlush: NodeJS.Immediate | undefined;
  private nextCallId = 1;
  private stopping: Promise<void> | undefined;
  private exitedWith: Error | undefined;
  private readonly exited: Promise<void>;

  constructor(private readonly options: ProcessingThreadOptions) {
    const { entry, eval: isEval } = workerEntry();
    this.worker = new Worker(entry, { name: 'zapflow-processing', workerData: {
        config: options.config,
        ...(options.intakePressure ? { intakePressure: options.intakePressure } : {}),
        ...(options.sqliteWriteGate ? { sqliteWriteGate: options.sqliteWriteGate } : {}),
        ...(options.intakeSpool ? { intakeSpool: true } : {}),
      },
      eval: isEval,
    });
    this.worker.on('message', (message: unknown) => this.receive(message));
    this.worker.on('error', (error) => {
      this.exitedWith = error;
      options.logger.fatal({ err: error }, 'processing thread failed');
    });
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        const error = (this.exitedWith ??= new Error(`the processing thread exited with code ${code}`));
        for (const call of this.calls.values()) {
          clearTimeout(call.timer);
          call.reject(error);
        }
        this.calls.clear();
        if (!this.stopping) {
          options.logger.fatal({ err: error }, 'processing stopped unexpectedly; acked messages stay in the inbox for the next start');
          options.onCrash?.(error);
        }
        resolve();
      });
    });
    const known: string[] = [...WORKFLOW_IDS];
    this.workflows = {
      ids: () => known,
      start: (workflowId, input) => this.call('workflowStart', [workflowId, input]),
      rerun: (runId, rerunOptions) => this.call('workflowRerun', [runId, rerunOptions]),
    };
  }

  async start(): Promise<void> {
    const started = await this.call('start', []);
    this.modelProvider = started.modelProvider;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const alreadyGone = this.exitedWith !== undefined;
      if (this.notifyFlush) clearImmediate(this.notifyFlush);
      this.flushNotify();
      try {
        await this.call('stop', []);
      } catch (error) {
        if (!alreadyGone) this.options.logger.error({ err: error }, 'processing thread did not stop cleanly');
      }
      await this.worker.terminate();
      await this.exited;
    })();
    return this.stopping;
  }

  async settle(): Promise<void> {
    this.flushNotify();
    await this.call('settle', []);
  }

  notify(conversationKeys: readonly string[]): void {
    // One message per event-loop turn, not per webhook: at 2,000 webhooks/s the postMessage calls alone
    // were ~5 % of the request thread.
    for (const key of conversationKeys) this.toNotify.add(key);
    if (this.toNotify.size > 0) this.notifyFlush ??= setImmediate(() => this.flushNotify());
  }

  private flushNotify(): void {
    this.notifyFlush = undefined;
    const keys = [...this.toNotify];
    this.toNotify.clear();
    if (keys.length > 0) this.post({ type: 'notify', keys });
  }

  kickOutbox(): void {
    this.post({ type: 'kickOutbox' });
  }

  async pingMcp(): Promise<void> {
    await this.call('pingMcp', []);
  }

  private post(message: ToWorker): void {
    // After an exit there is nobody to tell; the rows are in the inbox and the next start finds them.
    if (this.exitedWith === undefined) this.worker.postMessage(message);
  }

  private call<M extends CallMethod>(method: M, args: CallArgs<M>): Promise<CallResult<M>> {
    if (this.exitedWith) return Promise.reject(this.exitedWith);
    const id = this.nextCallId++;
    const timeoutMs = this.options.callTimeoutsMs?.[method] ?? CALL_TIMEOUTS_MS[method];
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // A late reply finds no pending call and is dropped.
        this.calls.delete(id);
        reject(new ProcessingCallTimeoutError(method, timeoutMs));
      }, timeoutMs);
      timer.unref();
      const settle = (value: unknown) => {
        try {
          resolve(parseCallResult(method, value));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      this.calls.set(id, { method, settle, reject, timer });
      this.worker.postMessage({ type: 'call', id, method, args } satisfies ToWorker);
    });
  }

  private receive(raw: unknown): void {
    const parsed = fromWorkerSchema.safeParse(raw);
    if (!parsed.success) {
      this.options.logger.error({ issues: parsed.error.issues }, 'the processing thread sent a message this version does not understand; ignored');
      return;
    }
    const message = parsed.data;
    if (message.type === 'runs') {
      for (const observation of message.observations) this.options.onRunObserved?.(observation);
      return;
    }
    const call = this.calls.get(message.id);
    if (!call) return;
    clearTimeout(call.timer);
    this.calls.delete(message.id);
    if (message.ok) call.settle(message.value);
    else call.reject(new ProcessingThreadError(message.error));
  }
}
