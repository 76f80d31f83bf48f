export {
  Taxonomy,
  defaultTaxonomy,
  defaultTaxonomyFile,
  loadTaxonomy,
  parseTaxonomy,
  type TaxonomyLevel,
  type TaxonomyNode,
  type TaxonomyPath,
} from './taxonomy.js';
export { taxonomySchema, taxonomyLevels, type TaxonomyDocument } from './schema.js';
export { InvalidTaxonomyError, InvalidTaxonomyPathError, TaxonomyError, UnknownTaxonomyNodeError } from './errors.js';
