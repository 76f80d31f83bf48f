/**
 * The zod schema of taxonomy.json: four nested levels (business unit > product > motive > submotive), each
 * node an id, a pt-BR label and a description, every level non-empty. Unique ids are checked across the
 * whole tree (a model answers with bare ids, so an id must name exactly one node).
 */
import { z } from 'zod';

const nodeId = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'ids are snake_case (lowercase letters, digits, underscores)');
const nodeFields = {
  id: nodeId,
  label: z.string().trim().min(1, 'label must not be empty'),
  description: z.string().trim().min(1, 'description must not be empty'),
};

export const submotiveSchema = z.object(nodeFields);
export const motiveSchema = z.object({
  ...nodeFields,
  submotives: z.array(submotiveSchema).min(1, 'a motive needs at least one submotive'),
});
export const productSchema = z.object({
  ...nodeFields,
  motives: z.array(motiveSchema).min(1, 'a product needs at least one motive'),
});
export const businessUnitSchema = z.object({
  ...nodeFields,
  products: z.array(productSchema).min(1, 'a business unit needs at least one product'),
});

export const taxonomyLevels = ['businessUnit', 'product', 'motive', 'submotive'] as const;

export const taxonomySchema = z
  .object({
    name: z.string().min(1),
    version: z.number().int().positive(),
    language: z.string().min(2),
    levels: z.tuple([
      z.literal('businessUnit'),
      z.literal('product'),
      z.literal('motive'),
      z.literal('submotive'),
    ]),
    businessUnits: z.array(businessUnitSchema).min(1, 'the taxonomy needs at least one business unit'),
  })
  .superRefine((taxonomy, ctx) => {
    const seen = new Map<string, string>();
    const visit = (id: string, where: (string | number)[]): void => {
      const first = seen.get(id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [...where, 'id'], message: `duplicate id "${id}" (first used at ${first})` });
      } else {
        seen.set(id, where.join('.'));
      }
    };
    taxonomy.businessUnits.forEach((bu, b) => {
      visit(bu.id, ['businessUnits', b]);
      bu.products.forEach((product, p) => {
        visit(product.id, ['businessUnits', b, 'products', p]);
        product.motives.forEach((motive, m) => {
          visit(motive.id, ['businessUnits', b, 'products', p, 'motives', m]);
          motive.submotives.forEach((submotive, s) => {
            visit(submotive.id, ['businessUnits', b, 'products', p, 'motives', m, 'submotives', s]);
          });
        });
      });
    });
  });

export type TaxonomyDocument = z.infer<typeof taxonomySchema>;
