/**
 * Errors of the taxonomy module, each with a stable `code`. The taxonomy imports nothing from the rest of
 * zapflow (see ARCHITECTURE.md), so it carries its own small base class with the same shape as the engine's.
 */

export class TaxonomyError extends Error {
  /** Stable, machine-readable code. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The taxonomy file is missing, not JSON, or breaks the schema (duplicate ids, an empty level, …). */
export class InvalidTaxonomyError extends TaxonomyError {
  constructor(
    /** One line per problem, e.g. `businessUnits.0.products: must not be empty`. */
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(
      'TAXONOMY_INVALID',
      `The taxonomy is invalid; fix src/taxonomy/taxonomy.json:\n  - ${problems.join('\n  - ')}`,
      options,
    );
  }
}

/**
 * A path that is not a chain of the taxonomy's nodes (an id a model invented, a child under the wrong parent,
 * the wrong length). Such a path is rejected, never stored.
 */
export class InvalidTaxonomyPathError extends TaxonomyError {
  constructor(
    readonly path: readonly string[],
    readonly detail: string,
  ) {
    super(
      'TAXONOMY_PATH_INVALID',
      `"${path.join(' > ')}" is not a path of the taxonomy: ${detail}. Pick each level among the children of the level above.`,
    );
  }
}

/** A lookup named a node id that the taxonomy does not have. */
export class UnknownTaxonomyNodeError extends TaxonomyError {
  constructor(readonly nodeId: string) {
    super('TAXONOMY_NODE_UNKNOWN', `The taxonomy has no node "${nodeId}". Use an id from src/taxonomy/taxonomy.json.`);
  }
}
