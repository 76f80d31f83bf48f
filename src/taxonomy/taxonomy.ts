/**
 * The support taxonomy, loaded once and validated: four levels (business unit > product > motive >
 * submotive) with lookups by id, the children of any path, and path validity. Models only ever answer with
 * ids; every id they return is checked here before it is used or stored.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InvalidTaxonomyError, InvalidTaxonomyPathError, UnknownTaxonomyNodeError } from './errors.js';
import { taxonomyLevels, taxonomySchema, type TaxonomyDocument } from './schema.js';

export type TaxonomyLevel = (typeof taxonomyLevels)[number];

/** A 4-level path of ids: [businessUnit, product, motive, submotive]. */
export type TaxonomyPath = readonly [string, string, string, string];

export interface TaxonomyNode {
  id: string;
  label: string;
  description: string;
  level: TaxonomyLevel;
  /** Ids from the business unit down to this node (inclusive). */
  path: readonly string[];
  /** Ids of the nodes one level below (empty for submotives). */
  children: readonly string[];
}

/** The bundled taxonomy.json (copied next to the compiled code by scripts/copy-assets.mjs). */
export const defaultTaxonomyFile = fileURLToPath(new URL('./taxonomy.json', import.meta.url));

export class Taxonomy {
  readonly name: string;
  readonly version: number;
  readonly levels: readonly TaxonomyLevel[] = taxonomyLevels;
  readonly #nodes = new Map<string, TaxonomyNode>();
  readonly #roots: string[] = [];
  readonly #leaves: TaxonomyPath[] = [];

  /** Use `parseTaxonomy` / `loadTaxonomy`; the constructor trusts an already validated document. */
  constructor(document: TaxonomyDocument) {
    this.name = document.name;
    this.version = document.version;
    for (const bu of document.businessUnits) {
      this.#roots.push(bu.id);
      this.#add(bu, 'businessUnit', [], bu.products.map((p) => p.id));
      for (const product of bu.products) {
        this.#add(product, 'product', [bu.id], product.motives.map((m) => m.id));
        for (const motive of product.motives) {
          this.#add(motive, 'motive', [bu.id, product.id], motive.submotives.map((s) => s.id));
          for (const submotive of motive.submotives) {
            this.#add(submotive, 'submotive', [bu.id, product.id, motive.id], []);
            this.#leaves.push([bu.id, product.id, motive.id, submotive.id]);
          }
        }
      }
    }
  }

  #add(
    source: { id: string; label: string; description: string },
    level: TaxonomyLevel,
    parentPath: string[],
    children: string[],
  ): void {
    this.#nodes.set(source.id, {
      id: source.id,
      label: source.label,
      description: source.description,
      level,
      path: [...parentPath, source.id],
      children,
    });
  }

  /** The node with this id; throws UnknownTaxonomyNodeError when there is none. */
  node(id: string): TaxonomyNode {
    const found = this.#nodes.get(id);
    if (!found) throw new UnknownTaxonomyNodeError(id);
    return found;
  }

  has(id: string): boolean {
    return this.#nodes.has(id);
  }

  label(id: string): string {
    return this.node(id).label;
  }

  description(id: string): string {
    return this.node(id).description;
  }

  /**
   * The nodes one level below `parentPath` (`[]` gives the business units). Throws InvalidTaxonomyPathError
   * when `parentPath` itself is not a valid prefix, or is already a complete path.
   */
  children(parentPath: readonly string[]): TaxonomyNode[] {
    if (parentPath.length === 0) return this.#roots.map((id) => this.node(id));
    const problem = this.#prefixProblem(parentPath);
    if (problem) throw new InvalidTaxonomyPathError(parentPath, problem);
    if (parentPath.length >= this.levels.length) {
      throw new InvalidTaxonomyPathError(parentPath, 'a submotive has no children');
    }
    return this.node(parentPath[parentPath.length - 1] as string).children.map((id) => this.node(id));
  }

  /** Every complete path, in file order. */
  leaves(): readonly TaxonomyPath[] {
    return this.#leaves;
  }

  /** Every node id of `level`, in file order. */
  idsAt(level: TaxonomyLevel): string[] {
    return [...this.#nodes.values()].filter((n) => n.level === level).map((n) => n.id);
  }

  /** True when `path` is a complete 4-level path where each id is a child of the one before. */
  isValidPath(path: readonly string[]): path is TaxonomyPath {
    return path.length === this.levels.length && this.#prefixProblem(path) === undefined;
  }

  /** Like isValidPath, but throws InvalidTaxonomyPathError saying what is wrong. */
  assertValidPath(path: readonly string[]): asserts path is TaxonomyPath {
    if (path.length !== this.levels.length) {
      throw new InvalidTaxonomyPathError(path, `expected ${this.levels.length} levels, got ${path.length}`);
    }
    const problem = this.#prefixProblem(path);
    if (problem) throw new InvalidTaxonomyPathError(path, problem);
  }

  /** The complete path that ends at a submotive id (e.g. to check a model's leaf answer). */
  pathOfLeaf(submotiveId: string): TaxonomyPath {
    const node = this.node(submotiveId);
    if (node.level !== 'submotive') {
      throw new InvalidTaxonomyPathError(node.path, `"${submotiveId}" is a ${node.level}, not a submotive`);
    }
    return node.path as unknown as TaxonomyPath;
  }

  /** Why `path` is not a chain of parent → child ids from the top, or undefined when it is. */
  #prefixProblem(path: readonly string[]): string | undefined {
    if (path.length > this.levels.length) return `too many levels (${path.length})`;
    for (let depth = 0; depth < path.length; depth++) {
      const id = path[depth] as string;
      const level = this.levels[depth] as TaxonomyLevel;
      const node = this.#nodes.get(id);
      if (!node) return `unknown ${level} "${id}"`;
      if (node.level !== level) return `"${id}" is a ${node.level}, not a ${level}`;
      if (depth > 0 && node.path[depth - 1] !== path[depth - 1]) {
        return `"${id}" is not under "${path[depth - 1]}"`;
      }
    }
    return undefined;
  }
}

/** Validates a parsed JSON document and builds the Taxonomy; InvalidTaxonomyError lists every problem. */
export function parseTaxonomy(document: unknown): Taxonomy {
  const result = taxonomySchema.safeParse(document);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new InvalidTaxonomyError(problems, { cause: result.error });
  }
  return new Taxonomy(result.data);
}

/** Reads and validates a taxonomy file (the bundled one by default). */
export function loadTaxonomy(file: string = defaultTaxonomyFile): Taxonomy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidTaxonomyError([`cannot read ${file}: ${(error as Error).message}`], { cause: error });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new InvalidTaxonomyError([`${file} is not valid JSON: ${(error as Error).message}`], { cause: error });
  }
  return parseTaxonomy(document);
}

let bundled: Taxonomy | undefined;

/** The bundled taxonomy, loaded once per process. */
export function defaultTaxonomy(): Taxonomy {
  bundled ??= loadTaxonomy();
  return bundled;
}
