/**
 * Who holds this process's run leases, and who held them before it. A process that was killed leaves its
 * runs `running` with leases that other processes must respect until they expire (30 s): nobody can tell a
 * dead owner from a slow one. But the restarted process CAN tell its own previous incarnation is dead: the
 * data directory names the owner that last started from it, with its host, pid and the machine's boot id;
 * if that pid is gone (or the machine rebooted), its leases are expired at once and the runs resumed now,
 * instead of the restarted service waiting for them (issue: "recovery after a restart crawls").
 *
 * A previous owner that is still alive (two processes started from one data directory) is left alone: its
 * leases then expire the ordinary way, if ever.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

const FILE = 'processing-owner.json';

interface OwnerRecord {
  owner: string;
  host: string;
  pid: number;
  bootId: string;
}

export interface ProcessIdentity {
  /** The lease owner id of this process. */
  owner: string;
  /** The previous process started from this data directory, provably dead: its leases can be taken now. */
  deadPredecessor?: string;
}

/** Linux's id of this boot (a pid of an earlier boot is dead whatever runs under that number now). */
function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: a process exists under that pid (another user's): not provably dead.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readRecord(file: string): OwnerRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<OwnerRecord>;
    if (typeof parsed.owner !== 'string' || typeof parsed.host !== 'string' || typeof parsed.pid !== 'number' || typeof parsed.bootId !== 'string') return undefined;
    return parsed as OwnerRecord;
  } catch {
    return undefined;
  }
}

/** The previous owner is provably dead: same host, and an earlier boot or a pid that no longer runs. */
function provablyDead(previous: OwnerRecord, current: OwnerRecord): boolean {
  if (previous.host !== current.host) return false;
  if (previous.pid === current.pid && previous.bootId === current.bootId) return false;
  if (previous.bootId !== current.bootId && previous.bootId !== 'unknown' && current.bootId !== 'unknown') return true;
  return !isAlive(previous.pid);
}

/**
 * Claims the data directory's owner record for this process (written atomically before any run starts)
 * and tells whether the previous one is dead. Without a data directory (in-memory stores): a fresh owner.
 */
export function takeProcessIdentity(dataDir: string | undefined): ProcessIdentity {
  const current: OwnerRecord = { owner: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`, host: hostname(), pid: process.pid, bootId: bootId() };
  if (dataDir === undefined) return { owner: current.owner };
  const file = join(dataDir, FILE);
  const previous = readRecord(file);
  const dead = previous !== undefined && provablyDead(previous, current);
  if (previous !== undefined && !dead && previous.pid !== current.pid) {
    // Someone else started from this directory and is still alive: keep its record, take no leases.
    return { owner: current.owner };
  }
  mkdirSync(dataDir, { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(current)}\n`);
  renameSync(temporary, file);
  return dead ? { owner: current.owner, deadPredecessor: previous.owner } : { owner: current.owner };
}
