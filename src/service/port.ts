/**
 * What the HTTP side of the service needs from the processing side (dispatcher, engine, outbox, scheduled
 * jobs, MCP client). Two implementations: `createProcessing` in the same thread (tests, the demo, in-memory
 * stores), and `ProcessingThread`, the same object running in a worker thread so that the request thread
 * only verifies, stores and acks webhooks while conversation turns use the second core (bench/README.md,
 * "Webhooks").
 */
import type { AdminWorkflowsPort } from '../http/admin/ports.js';

/** A finished run, as the metrics record it (computed where the run ran, recorded where /metrics is served). */
export interface RunObservation {
  workflow: string;
  status: string;
  steps: Array<{ step: string; seconds: number }>;
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
