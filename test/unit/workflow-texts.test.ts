import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWorkflowConfig, WorkflowConfigError } from '../../src/workflows/config.js';
import { confidenceLabel } from '../../src/workflows/conversation-typification/report.js';
import { collectCustomerInfo } from '../../src/workflows/human-handoff/customer-info.js';
import { formatAgentAlert, formatCustomerHandoffMessage } from '../../src/workflows/human-handoff/messages.js';
import { brazilDay, formatProtocolNumber, PROTOCOL_PATTERN } from '../../src/workflows/shared/protocol.js';

describe('workflow config files', () => {
  it('the shipped files are valid', () => {
    expect(loadWorkflowConfig('conversation-typification').confidence).toEqual({ high: 0.8, medium: 0.35 });
    // The wait told to the customer comes from the SLA settings: the file holds no second number for it.
    expect(loadWorkflowConfig('human-handoff')).not.toHaveProperty('expectedWaitMinutes');
  });

  it('a bad file stops the start naming the file, the key and what is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zapflow-config-'));
    writeFileSync(
      join(dir, 'conversation-typification.json'),
      JSON.stringify({
        models: { classifier: 'x', validator: 'y' },
        retries: { classification: -1, validation: 1 },
        confidence: { high: 0.4, medium: 0.6 },
        report: { lastCustomerMessages: 3 },
        extra: true,
      }),
    );
    let error: unknown;
    try {
      loadWorkflowConfig('conversation-typification', dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorkflowConfigError);
    const message = (error as Error).message;
    expect(message).toContain(join(dir, 'conversation-typification.json'));
    expect(message).toMatch(/retries\.classification: .*>=0/);
    expect(message).toMatch(/confidence\.medium: medium must be ≤ high/);
    expect(message).toMatch(/extra/);
  });

  it('an older file that still names a table prefix is told where the prefix lives now', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zapflow-config-'));
    const shipped = loadWorkflowConfig('human-handoff');
    writeFileSync(join(dir, 'human-handoff.json'), JSON.stringify({ ...shipped, storage: { tablePrefix: 'zapflow_' } }));
    expect(() => loadWorkflowConfig('human-handoff', dir)).toThrowError(/storage: no longer read from the workflow config: the table prefix is ZAPFLOW_TABLE_PREFIX/);
  });

  it('a file that is not JSON says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zapflow-config-'));
    writeFileSync(join(dir, 'human-handoff.json'), '{ "models": ');
    expect(() => loadWorkflowConfig('human-handoff', dir)).toThrowError(/human-handoff\.json is invalid:\n {2}- not valid JSON/);
  });
});

describe('the report\'s confidence label', () => {
  it('follows the confidence Router\'s thresholds, so "alta" means the path was accepted as classified', () => {
    const thresholds = loadWorkflowConfig('conversation-typification').confidence;
    expect(confidenceLabel(thresholds.high, thresholds)).toBe('alta');
    expect(confidenceLabel((thresholds.high + thresholds.medium) / 2, thresholds)).toBe('média');
    expect(confidenceLabel(thresholds.medium - 0.01, thresholds)).toBe('baixa');
    expect(confidenceLabel(0.6, { high: 0.9, medium: 0.7 })).toBe('baixa');
  });
});

describe('protocol numbers', () => {
  it('are the Brazilian calendar day plus a 6-digit daily sequence', () => {
    // 02:30 UTC on the 26th is still the 25th in São Paulo.
    expect(brazilDay(new Date('2026-11-26T02:30:00Z'))).toBe('20261125');
    expect(formatProtocolNumber('20261125', 42)).toBe('20261125000042');
    expect(formatProtocolNumber('20261125', 42)).toMatch(PROTOCOL_PATTERN);
    expect(() => formatProtocolNumber('20261125', 0)).toThrow(RangeError);
  });
});

describe('customer info collection', () => {
  it('finds name, documents, e-mail and account hints, and masks every document', () => {
    const info = collectCustomerInfo(
      ['oi meu nome é Maria Teste, cpf 123.456.789-09', 'o cnpj da loja é 12.345.678/0001-90 e meu email maria.teste@example.com', 'cartão final 4321'],
      { phone: '5511900000001' },
    );
    expect(info).toEqual({
      name: 'Maria Teste',
      phone: '55119****0001',
      documents: ['**.***.***/****-90', '***.***.***-09'],
      emails: ['m***@example.com'],
      accountHints: ['cartão final 4321'],
    });
    expect(JSON.stringify(info)).not.toContain('123.456');
  });
});

describe('handoff texts', () => {
  const config = loadWorkflowConfig('human-handoff');
  it('the alert cites the protocol, urgency and reason in Portuguese', () => {
    const text = formatAgentAlert(config, {
      protocol: '20261125000042', urgency: 'critical', reason: 'security_concern', summary: 'Compras não reconhecidas no cartão',
      customer: 'Maria Teste (55119****0001)', path: 'Cartões › Cartão de crédito', contacts: 2,
      link: 'https://atendimento.example.com/console/conversations/meta%3A1%3A5511',
    });
    expect(text).toContain('Abrir: https://atendimento.example.com/console/conversations/meta%3A1%3A5511');
    expect(text).toContain('Protocolo: 20261125000042');
    expect(text).toContain('Urgência: CRÍTICA');
    expect(text).toContain('possível fraude ou golpe');
    expect(formatAgentAlert(config, { protocol: '1', urgency: 'low', reason: 'x', summary: '', customer: '', path: '', contacts: 0, link: '' }, 2)).toMatch(/^⏰ Ainda sem atendente \(2º aviso\)/);
  });

  it('the customer gets the protocol and the wait of the SLA limit for the urgency', () => {
    const sla = { critical: 5, high: 20, medium: 60, low: 240 };
    expect(formatCustomerHandoffMessage(config, '20261125000042', 'high', sla)).toMatch(/protocolo é 20261125000042\. O tempo estimado de espera é de 20 minutos/);
    expect(formatCustomerHandoffMessage(config, '20261125000042', 'low', sla)).toContain('4 horas');
  });
});
