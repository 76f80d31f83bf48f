/**
 * What the HTTP side of the service needs from the processing side (dispatcher, engine, outbox, scheduled
 * jobs, MCP client). Two implementations: `createProcessing` in the same thread (tests, the demo, in-memory
 * stores), and `ProcessingThread`, the same object running in a worker thread so that the request thread
 * only verifies, stores and acks webhooks while conversation turns use the second core (bench/README.md,
 * "Webhooks").
 */

export type { RunObservation } from './run-observation.js';

/** Starting and rerunning workflows (the service's workflow registry behind the engine): admins' API and console. */
export interface AdminWorkflowsPort {
  /** Ids of the registered workflows (`conversation-typification`, `human-handoff`, …). */
  ids(): string[];
  /** Starts a run of `workflowId` for the conversation and returns its id without waiting for it to finish. */
  start(workflowId: string, input: { conversationKey: string; message: string }): Promise<{ runId: string }>;
  /**
   * Reruns a run (from its first step, or from `fromStep`, reusing the earlier steps' records) and returns
   * the new run's id without waiting. Throws the engine's UnknownStepError (code `UNKNOWN_STEP`) for a
   * step the workflow does not have.
   */
  rerun(runId: string, options: { fromStep?: string }): Promise<{ runId: string }>;
}

export interface ProcessingPort {
  readonly mode: 'inline' | 'thread';
  /** The classifier's provider (`embedded`, `claude`); in a thread, known once start() resolved. */
  readonly modelProvider: string;
  /** Connects MCP, resumes interrupted runs, picks up unprocessed inbox rows, starts the outbox and the jobs. */
  start(): Promise<void>;
  /** Finishes turns in flight, delivers what is due, releases leases, closes storage and MCP. */
  stop(): Promise<void>;
  /** Resolves when no conversation is waiting or running and the outbox has nothing due. */
  settle(): Promise<void>;
  /** Inbox rows of these conversations were committed: schedule their turns. */
  notify(conversationKeys: readonly string[]): void;
  /** Deliver outbox rows now instead of at the next poll (an admin retried one). */
  kickOutbox(): void;
  /** Admin-started runs and reruns. */
  readonly workflows: AdminWorkflowsPort;
  /** Rejects when the WhatsApp MCP server does not answer (readiness). */
  pingMcp(): Promise<void>;
  /** Scale-out (roles web and worker): rejects when the job queue's database does not answer. */
  pingQueue?(): Promise<void>;
  /** Scale-out: the turn queue's depth and its oldest waiting job's age (/metrics). */
  queueDepth?(): Promise<{ waiting: number; active: number; oldestWaitingSeconds: number }>;
}
