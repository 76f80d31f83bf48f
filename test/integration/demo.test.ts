/**
 * `npm run demo` is the first command a new user runs: it must show conversations being typified, handed
 * over with protocol numbers and alerts, an admin rerun, and end with the summary table — offline.
 */
import { describe, expect, it } from 'vitest';
import { runServiceDemo } from '../../src/cli/demo/service-demo.js';
import { PROTOCOL_PATTERN } from '../../src/workflows/shared/protocol.js';

describe('the service demo', () => {
  it('runs ~20 conversations through the real service and ends with a summary', async () => {
    const lines: string[] = [];
    const rows = await runServiceDemo({ write: (line) => lines.push(line) }, { speed: 0.05, coalesceWindowMs: 300 });
    const output = lines.join('\n');
    expect(rows).toHaveLength(20);
    expect(output).toMatch(/📩 demo-01 .* → 200/);
    expect(output).toMatch(/⚙ demo-\d+ {2}typification › business_unit_classification ✓/);
    expect(output).toMatch(/🔔 alert to agents: .*Protocolo: \d{14}/);
    expect(output).toMatch(/📤 demo-\d+ ← bot: /);
    expect(output).toMatch(/🛠 {2}→ 202 new run /);
    expect(output).toMatch(/protocol unchanged .* 0 new alert\(s\) to agents/);
    expect(rows.filter((r) => r.outcome === 'escalation').length).toBeGreaterThanOrEqual(5);
    expect(rows.filter((r) => r.outcome === 'self_service').length).toBeGreaterThanOrEqual(8);
    expect(rows.every((r) => r.protocols.split(' ').every((p) => PROTOCOL_PATTERN.test(p)))).toBe(true);
    expect(lines.at(-1)).toMatch(/^20 conversations · \d+ handed to a human · \d+ answered by self-service · \d+\/20 as scripted$/);
  }, 120_000);
});
