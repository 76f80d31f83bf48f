/**
 * `Router`: the evaluator picks one route (by key, or by returning one of the routes' steps) and its steps run
 * under `router/key/step`. The choice is recorded, so a resumed run follows the same route. An unknown key
 * ends the run with an UnknownRouteError naming the valid keys.
 */
import { StepNode, assertStepName, assertUniqueNames } from './definition.js';
import { InvalidDefinitionError, UnknownRouteError } from './errors.js';
import type { StepLike } from './normalize.js';
import { toNodes } from './normalize.js';
import { decide } from './runner/decision.js';
import type { Scope } from './runner/scope.js';
import { compositeOutput, runSequence } from './runner/sequence.js';
import type { StepOutput } from './step-output.js';
import type { StepInput } from './types.js';

/** Returns a route key, or the step(s) of one of the routes (the same objects given in `routes`). */
export type RouterEvaluator = (input: StepInput) => unknown;

export interface RouterOptions {
  name: string;
  description?: string;
  evaluator: RouterEvaluator;
  routes: Record<string, StepLike | StepLike[]>;
}

export class Router extends StepNode {
  readonly kind = 'router';
  readonly description: string | undefined;
  readonly evaluator: RouterEvaluator;
  readonly routes: ReadonlyMap<string, readonly StepNode[]>;
  /** What the caller passed per key, to recognise an evaluator that returns steps instead of a key. */
  private readonly given = new Map<string, readonly unknown[]>();

  constructor(options: RouterOptions) {
    super(options?.name, 'new Router()');
    this.description = options.description;
    if (typeof options.evaluator !== 'function') throw new InvalidDefinitionError(this.name, 'evaluator must be a function (input) => route key.');
    this.evaluator = options.evaluator;
    if (typeof options.routes !== 'object' || options.routes === null || Object.keys(options.routes).length === 0) {
      throw new InvalidDefinitionError(this.name, 'routes must be an object with at least one route: { key: step | [steps] }.');
    }
    const routes = new Map<string, readonly StepNode[]>();
    for (const [key, value] of Object.entries(options.routes)) {
      assertStepName(key, `Router "${this.name}" route key`);
      const items: unknown[] = Array.isArray(value) ? value : [value];
      if (value === undefined || value === null || items.length === 0) {
        throw new InvalidDefinitionError(this.name, `route "${key}" points nowhere: give it a step or a non-empty array of steps.`);
      }
      const nodes = toNodes(items, `Router "${this.name}" route "${key}"`);
      assertUniqueNames(nodes, `Router "${this.name}" route "${key}"`);
      routes.set(key, nodes);
      this.given.set(key, items);
    }
    this.routes = routes;
  }

  children(): readonly StepNode[] {
    return [...this.routes.values()].flat();
  }

  async execute(scope: Scope, path: string): Promise<StepOutput> {
    const run = scope.run;
    run.emit('RouterExecutionStarted', path, this.name, {});
    const route = await decide(scope, path, this.name, this.evaluator, (raw) => this.routeKey(raw, path));
    const steps = this.routes.get(route);
    if (steps === undefined) throw new UnknownRouteError(path, route, [...this.routes.keys()]);
    const output = compositeOutput(this.name, 'router', await runSequence(steps, scope, `${path}/${route}`));
    run.emit('RouterExecutionCompleted', path, this.name, { route });
    scope.record(this.name, output);
    return output;
  }

  private routeKey(raw: unknown, path: string): string {
    if (typeof raw === 'string') {
      if (this.routes.has(raw)) return raw;
      throw new UnknownRouteError(path, raw, [...this.routes.keys()]);
    }
    const chosen: unknown[] = Array.isArray(raw) ? raw : [raw];
    for (const [key, items] of this.given) {
      if (items.length === chosen.length && items.every((item, i) => item === chosen[i])) return key;
    }
    throw new UnknownRouteError(path, describeChoice(chosen), [...this.routes.keys()]);
  }
}

function describeChoice(chosen: unknown[]): string {
  return chosen.map((item) => (typeof item === 'object' || typeof item === 'function') && item !== null && 'name' in item ? String(item.name) : String(item)).join(', ');
}
