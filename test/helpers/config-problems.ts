import { ConfigError, loadConfig } from '../../src/config.js';

/** The problems loadConfig lists for this environment (empty when it loads): what a bad start would print. */
export function configProblems(env: Record<string, string>, purpose: 'serve' | 'tool'): string[] {
  try {
    loadConfig(env, { purpose });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
