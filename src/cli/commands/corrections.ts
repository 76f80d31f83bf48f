/**
 * `zapflow corrections export`: the typifications agents corrected in the console, printed as JSONL in
 * the shape of data/datasets/typification-dev.jsonl (`{ id, messages, label, escalation }`), so the classifier can be
 * trained or evaluated on them (`zapflow corrections export > data/datasets/corrections.jsonl`).
 */
import type { Command } from 'commander';
import { escalationReasons, type EscalationReason, type LabeledConversation } from '../../agents/embedded/dataset.js';
import { loadConfig } from '../../config.js';
import type { CorrectionRecord } from '../../conversations/store/case-types.js';
import { PostgresServiceStore } from '../../conversations/store/postgres.js';
import { SqliteServiceStore } from '../../conversations/store/sqlite.js';
import type { ServiceStore } from '../../conversations/store/types.js';

type EscalationLabel = LabeledConversation['escalation'];

const NOT_ESCALATED: EscalationLabel = { shouldEscalate: false, reason: null, urgency: 'low', emotion: 'neutral' };

/**
 * The escalation label a correction carries: what happened in its case. Agents correct the path in the
 * console, not the escalation, so a case handed to a person is labeled escalated (with the reason and
 * urgency the conversation shows), any other case not; without this the line would not be a labeled
 * example `zapflow train --with-corrections` accepts (every training conversation teaches both models).
 */
async function escalationOf(serviceStore: ServiceStore, correction: CorrectionRecord): Promise<EscalationLabel> {
  const theCase = await serviceStore.cases.getCase(correction.caseId);
  if (!theCase || theCase.handoffs === 0) return NOT_ESCALATED;
  const conversation = await serviceStore.getConversation(correction.conversationKey);
  const reason = (escalationReasons as readonly string[]).includes(conversation?.reason ?? '') ? (conversation?.reason as EscalationReason) : 'explicit_request';
  return { shouldEscalate: true, reason, urgency: conversation?.urgency ?? 'medium', emotion: 'neutral' };
}

/** One dataset line per correction. Only the customer's and the bot's turns: that is what the classifier reads. */
export function correctionToJsonl(correction: CorrectionRecord, escalation: EscalationLabel = NOT_ESCALATED): string {
  const messages = correction.messages
    .filter((m) => m.role === 'customer' || m.role === 'bot')
    .map((m) => ({ role: m.role, text: m.text }));
  return JSON.stringify({
    id: `correction-${String(correction.id).padStart(4, '0')}`,
    messages,
    label: {
      businessUnit: correction.label.businessUnit,
      product: correction.label.product,
      motive: correction.label.motive,
      submotive: correction.label.submotive,
    },
    escalation,
  });
}

/** The corrections a classifier can learn from: a case with no customer text yet says nothing to learn. */
export async function learnableCorrections(serviceStore: ServiceStore): Promise<CorrectionRecord[]> {
  return (await serviceStore.cases.listCorrections()).filter((c) => c.messages.some((m) => m.role === 'customer'));
}

export async function exportCorrections(serviceStore: ServiceStore, write: (line: string) => void): Promise<number> {
  // Corrections of one case share its escalation: look each case up once.
  const escalations = new Map<string, Promise<EscalationLabel>>();
  let count = 0;
  for (const correction of await learnableCorrections(serviceStore)) {
    let escalation = escalations.get(correction.caseId);
    if (!escalation) escalations.set(correction.caseId, (escalation = escalationOf(serviceStore, correction)));
    write(`${correctionToJsonl(correction, await escalation)}\n`);
    count++;
  }
  return count;
}

function openServiceStore(): ServiceStore {
  const config = loadConfig(process.env);
  return config.storage.kind === 'postgres'
    ? new PostgresServiceStore({ dbUrl: config.storage.databaseUrl, tableName: config.storage.tablePrefix })
    : new SqliteServiceStore({ dbFile: config.storage.dbFile, tableName: config.storage.tablePrefix });
}

export function register(program: Command): void {
  const corrections = program.command('corrections').description("Agents' typification corrections (labeled examples)");
  corrections
    .command('export')
    .description('Print every correction as JSONL ({ id, messages, label }, the typification dataset shape)')
    .action(async () => {
      const serviceStore = openServiceStore();
      await serviceStore.init();
      try {
        const count = await exportCorrections(serviceStore, (line) => process.stdout.write(line));
        process.stderr.write(`${count} correction(s) exported\n`);
      } finally {
        await serviceStore.close();
      }
    });
}
