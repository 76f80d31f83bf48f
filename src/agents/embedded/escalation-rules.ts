/**
 * Turns signals into the labeling guide's decision: which triggers hold, and the reason that comes first
 * in the guide's priority order.
 */
import type { EscalationReason } from './dataset.js';
import type { EscalationSignals } from './signals.js';

/** R$ 5.000 or more at stake in a problem (guide, trigger 3). */
export const highValueThreshold = 5000;

/** The triggers that hold, in the guide's priority order (the first one is the reason). */
export function triggeredReasons(signals: EscalationSignals): EscalationReason[] {
  const reasons: EscalationReason[] = [];
  if (signals.securityConcern) reasons.push('security_concern');
  if (signals.explicitRequest) reasons.push('explicit_request');
  if (signals.largestAmount >= highValueThreshold && signals.describesProblem) reasons.push('high_value');
  if (signals.multipleAttempts) reasons.push('multiple_attempts');
  if (signals.frustration) reasons.push('frustration_detected');
  if (signals.complexIssue) reasons.push('complex_issue');
  if (signals.systemLimitation) reasons.push('system_limitation');
  return reasons;
}
