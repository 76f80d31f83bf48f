import { EmbeddedModel } from '../src/agents/embedded/index.js';
import { classifyToRecord } from '../src/agents/eval/index.js';
import { defaultTaxonomy } from '../src/taxonomy/index.js';
const taxonomy = defaultTaxonomy();
const model = EmbeddedModel.load({ taxonomy, modelDir: false });
const texts = process.argv.slice(2);
for (const t of texts) {
  const msgs = t.split(' || ').map((text) => ({ role: 'customer' as const, text }));
  const r = await classifyToRecord(model, taxonomy, { messages: msgs });
  console.log(JSON.stringify(t), '→', r.submotive, r.confidence, JSON.stringify(r.escalation));
}
