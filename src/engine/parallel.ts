/**
 * `Parallel(...steps, { name })`: branches run concurrently, each on an isolated copy of the session state.
 * When all have finished, their changes merge into the state in DECLARED branch order (never finishing
 * order), so the result is deterministic; a key changed by two branches is reported (ParallelStateConflict,
 * the later branch wins). Every branch's output is kept. The Parallel commits the merged result once; on
 * resume, branches that completed keep their recorded output and only the others run again.
 */
import { StepNode, assertUniqueNames } from './definition.js';
import { InvalidDefinitionError } from './errors.js';
import type { StepLike } from './normalize.js';
import { toNode } from './normalize.js';
import { PauseRun } from './pause.js';
import { reuseRecord } from './runner/memo.js';
import type { Scope } from './runner/scope.js';
import { diffFingerprints, fingerprintOf } from './runner/state.js';
import { StepOutput } from './step-output.js';

export interface ParallelOptions {
  name: string;
  description?: string;
}

export class Parallel extends StepNode {
  readonly kind = 'parallel';
  readonly description: string | undefined;
  readonly branches: readonly StepNode[];

  constructor(...args: [...steps: StepLike[], options: ParallelOptions]) {
    const options = args[args.length - 1] as ParallelOptions | undefined;
    if (typeof options !== 'object' || options === null || options instanceof StepNode || typeof (options as { run?: unknown }).run === 'function') {
      throw new InvalidDefinitionError(undefined, 'new Parallel(...steps, { name }) needs an options object with a name as its last argument.');
    }
    super(options.name, 'new Parallel()');
    this.description = options.description;
    this.branches = args.slice(0, -1).map((item) => toNode(item, `Parallel "${this.name}"`));
    if (this.branches.length === 0) throw new InvalidDefinitionError(this.name, 'a Parallel needs at least one branch.');
    assertUniqueNames(this.branches, `Parallel "${this.name}"`);
  }

  children(): readonly StepNode[] {
    return this.branches;
  }

  async execute(scope: Scope, path: string): Promise<StepOutput> {
    const run = scope.run;
    const recorded = run.memo === undefined ? undefined : run.recorded(path);
    if (recorded !== undefined) {
      const output = await reuseRecord(scope, recorded);
      scope.outputs.registerTree(output);
      scope.previous = output;
      return output;
    }
    run.assertOpen();
    const names = this.branches.map((branch) => branch.name);
    run.emit('ParallelExecutionStarted', path, this.name, { branches: names });
    const startedAt = run.clock.now();
    const base = scope.fingerprint;
    const forks = this.branches.map(() => scope.fork());
    const settled = await Promise.allSettled(this.branches.map((branch, i) => branch.execute(forks[i]!, `${path}/${branch.name}`)));

    // Failures are reported in declared order too: the first failing branch's error ends the run.
    let pause: PauseRun | undefined;
    for (const result of settled) {
      if (result.status === 'fulfilled') continue;
      if (!(result.reason instanceof PauseRun)) throw result.reason;
      pause ??= result.reason;
    }
    if (pause !== undefined) throw pause;

    const content: Record<string, unknown> = {};
    const outputs: StepOutput[] = [];
    const writers = new Map<string, string[]>();
    let changed = false;
    for (let i = 0; i < this.branches.length; i++) {
      const fork = forks[i]!;
      const name = names[i]!;
      const delta = diffFingerprints(base, fork.fingerprint);
      if (delta !== null) {
        changed = true;
        for (const [key, value] of Object.entries(delta.set)) {
          scope.state[key] = value;
          noteWriter(writers, key, name);
        }
        for (const key of delta.deleted) {
          delete scope.state[key];
          noteWriter(writers, key, name);
        }
      }
      scope.outputs.adopt(fork.outputs);
      const result = settled[i]!;
      const output = result.status === 'fulfilled' ? result.value : null;
      if (output !== null) {
        outputs.push(output);
        content[name] = output.content;
      }
    }
    for (const [key, branches] of writers) {
      if (branches.length > 1) run.emit('ParallelStateConflict', path, this.name, { key, branches, winner: branches[branches.length - 1]! });
    }

    const after = changed ? fingerprintOf(scope.state) : base;
    const output = new StepOutput({ content, stepName: this.name, stepType: 'parallel', steps: outputs });
    scope.fingerprint = after;
    await run.commitAndWait(
      scope,
      { runId: run.runId, stepPath: path, stepName: this.name, stepType: 'parallel', status: 'completed', output, stateDelta: diffFingerprints(base, after), attempts: 1, startedAt, finishedAt: run.clock.now() },
      undefined,
      true,
    );
    run.emit('ParallelExecutionCompleted', path, this.name, { branches: names });
    scope.record(this.name, output);
    return output;
  }
}

function noteWriter(writers: Map<string, string[]>, key: string, branch: string): void {
  const list = writers.get(key);
  if (list === undefined) writers.set(key, [branch]);
  else list.push(branch);
}
