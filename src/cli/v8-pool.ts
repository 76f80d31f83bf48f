/**
 * One V8 background thread on a machine of two cores.
 *
 * V8 runs garbage collection and optimizing compilation for both of zapflow's threads on a pool of background
 * threads (four by default, at normal priority). On two cores, while the processing thread works a backlog, they
 * take CPU from the request thread: webhook acks at 1,000/s measured 1.93× a bare receiver's p99 with them and
 * 1.36× with `--v8-pool-size=1`, for the same CPU a turn (bench/README.md, issue 21). The flag only works when
 * node starts, so `zapflow serve` replaces its own process image with one started with it (`process.execve`: the
 * same PID, so a supervisor, a container runtime or a `kill` by PID sees one process, and nothing is left behind
 * if it is killed). Whoever sets `--v8-pool-size` themselves (any value; 0 lets V8 choose) is left alone.
 */
export interface V8PoolContext {
  role: 'all' | 'web' | 'worker';
  processing: 'thread' | 'inline';
  cores: number;
  execArgv: readonly string[];
  nodeOptions: string | undefined;
}

const POOL_FLAG = '--v8-pool-size';

/** The pool size node was started with (the last one given wins, as in node), or undefined for node's default. */
export function v8PoolSizeOf(execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  // NODE_OPTIONS is read before the command line, so a flag on the command line wins.
  const flags = [...(nodeOptions ?? '').split(/\s+/), ...execArgv];
  let size: string | undefined;
  flags.forEach((flag, at) => {
    if (flag === POOL_FLAG) size = flags[at + 1] ?? '';
    else if (flag.startsWith(`${POOL_FLAG}=`)) size = flag.slice(POOL_FLAG.length + 1);
  });
  return size;
}

/**
 * The NODE_OPTIONS to start again with, or undefined to go on as started. Only a process that runs both threads
 * (role `all`, processing on its thread) on two cores or fewer: with more cores the pool does not compete, and a
 * web or worker process has one busy thread.
 */
export function v8PoolRestartOptions(context: V8PoolContext): string | undefined {
  if (context.role !== 'all' || context.processing !== 'thread' || context.cores > 2) return undefined;
  if (v8PoolSizeOf(context.execArgv, context.nodeOptions) !== undefined) return undefined;
  return [context.nodeOptions?.trim(), `${POOL_FLAG}=1`].filter(Boolean).join(' ');
}

/**
 * Starts this process again with one V8 background thread when `v8PoolRestartOptions` says so and node can
 * (`process.execve`, Node ≥ 22.15 on POSIX). Returns only when it does not (or the exec failed); call it before
 * opening anything: the new image inherits open file descriptors but none of this one's state.
 */
export function restartWithOneV8Thread(context: Omit<V8PoolContext, 'execArgv' | 'nodeOptions'>): void {
  const nodeOptions = v8PoolRestartOptions({ ...context, execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS });
  if (nodeOptions === undefined || typeof process.execve !== 'function') return;
  try {
    process.execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], { ...process.env, NODE_OPTIONS: nodeOptions });
  } catch {
    // The start goes on with V8's defaults (slower acks on two cores, nothing lost); serve's advice line says how
    // to set the flag.
  }
}
