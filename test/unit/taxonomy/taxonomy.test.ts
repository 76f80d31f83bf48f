import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  InvalidTaxonomyError,
  InvalidTaxonomyPathError,
  UnknownTaxonomyNodeError,
  defaultTaxonomy,
  loadTaxonomy,
  parseTaxonomy,
  type TaxonomyDocument,
} from '../../../src/taxonomy/index.js';

const taxonomy = defaultTaxonomy();

function thrown(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to throw');
}

function smallDocument(): TaxonomyDocument {
  const leaf = (id: string) => ({ id, label: id, description: `about ${id}` });
  return {
    name: 'test',
    version: 1,
    language: 'pt-BR',
    levels: ['businessUnit', 'product', 'motive', 'submotive'],
    businessUnits: [
      { ...leaf('bu'), products: [{ ...leaf('prod'), motives: [{ ...leaf('mot'), submotives: [leaf('sub_a'), leaf('sub_b')] }] }] },
    ],
  };
}

describe('the bundled taxonomy', () => {
  it('has four levels, business units at the top and 4-level leaves', () => {
    expect(taxonomy.levels).toEqual(['businessUnit', 'product', 'motive', 'submotive']);
    expect(taxonomy.children([]).map((n) => n.id)).toEqual(['merchant_acquiring', 'cards', 'digital_account', 'credit_investments']);
    expect(taxonomy.leaves().length).toBeGreaterThan(50);
    for (const leaf of taxonomy.leaves()) expect(taxonomy.isValidPath(leaf)).toBe(true);
  });

  it('gives the children, labels and descriptions of a node', () => {
    const products = taxonomy.children(['cards']).map((n) => n.id);
    expect(products).toContain('credit_card');
    expect(taxonomy.label('pix')).toBe('Pix');
    expect(taxonomy.description('pix_scam_report')).toMatch(/golpista/);
    expect(taxonomy.node('pix_keys').path).toEqual(['digital_account', 'pix', 'pix_keys']);
  });

  it('rejects paths a model could invent', () => {
    expect(taxonomy.isValidPath(['cards', 'credit_card', 'credit_card_bill', 'bill_installment_plan'])).toBe(true);
    expect(taxonomy.isValidPath(['cards', 'credit_card', 'credit_card_bill', 'made_up_submotive'])).toBe(false);
    // a real submotive under the wrong parent
    expect(taxonomy.isValidPath(['cards', 'credit_card', 'credit_card_bill', 'pix_scam_report'])).toBe(false);
    expect(taxonomy.isValidPath(['cards', 'credit_card', 'credit_card_bill'])).toBe(false);
    expect(() => taxonomy.assertValidPath(['cards', 'pix', 'pix_keys', 'pix_key_register'])).toThrow(InvalidTaxonomyPathError);
    const error = thrown(() => taxonomy.assertValidPath(['cards', 'credit_card', 'credit_card_bill', 'made_up']));
    expect(error).toMatchObject({ code: 'TAXONOMY_PATH_INVALID' });
    expect(error.message).toMatch(/unknown submotive "made_up"/);
  });

  it('refuses children of a path that does not exist, and unknown ids', () => {
    expect(() => taxonomy.children(['cards', 'pix'])).toThrow(InvalidTaxonomyPathError);
    expect(() => taxonomy.label('nope')).toThrow(UnknownTaxonomyNodeError);
  });
});

describe('taxonomy validation', () => {
  it('accepts a minimal valid document', () => {
    expect(parseTaxonomy(smallDocument()).leaves()).toEqual([
      ['bu', 'prod', 'mot', 'sub_a'],
      ['bu', 'prod', 'mot', 'sub_b'],
    ]);
  });

  it('reports duplicate ids, naming where', () => {
    const document = smallDocument();
    document.businessUnits[0]!.products[0]!.motives[0]!.submotives[1]!.id = 'prod';
    const error = thrown(() => parseTaxonomy(document)) as InvalidTaxonomyError;
    expect(error).toBeInstanceOf(InvalidTaxonomyError);
    expect(error.code).toBe('TAXONOMY_INVALID');
    expect(error.problems.join('\n')).toMatch(/duplicate id "prod"/);
  });

  it('reports an empty level', () => {
    const document = smallDocument();
    document.businessUnits[0]!.products[0]!.motives = [];
    expect(() => parseTaxonomy(document)).toThrow(/a product needs at least one motive/);
  });

  it('reports a missing label and a file that is not JSON', () => {
    const document = smallDocument() as unknown as { businessUnits: Array<{ label?: string }> };
    delete document.businessUnits[0]!.label;
    expect(() => parseTaxonomy(document)).toThrow(InvalidTaxonomyError);
    const dir = mkdtempSync(join(os.tmpdir(), 'taxonomy-'));
    writeFileSync(join(dir, 'bad.json'), '{ not json');
    expect(() => loadTaxonomy(join(dir, 'bad.json'))).toThrow(/not valid JSON/);
    expect(() => loadTaxonomy(join(dir, 'missing.json'))).toThrow(/cannot read/);
  });
});
