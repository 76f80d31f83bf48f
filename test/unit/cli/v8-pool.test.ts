import { describe, expect, it } from 'vitest';
import { v8PoolRestartOptions, v8PoolSizeOf } from '../../../src/cli/v8-pool.js';

const twoCores = { role: 'all', processing: 'thread', cores: 2, execArgv: [], nodeOptions: undefined } as const;

describe('one V8 background thread on two cores', () => {
  it('starts again with the flag added to what NODE_OPTIONS already held', () => {
    expect(v8PoolRestartOptions(twoCores)).toBe('--v8-pool-size=1');
    expect(v8PoolRestartOptions({ ...twoCores, nodeOptions: ' --max-old-space-size=512 ' })).toBe('--max-old-space-size=512 --v8-pool-size=1');
  });

  it('leaves alone a machine with more cores, a process without the processing thread and a chosen size', () => {
    expect(v8PoolRestartOptions({ ...twoCores, cores: 4 })).toBeUndefined();
    expect(v8PoolRestartOptions({ ...twoCores, role: 'web' })).toBeUndefined();
    expect(v8PoolRestartOptions({ ...twoCores, processing: 'inline' })).toBeUndefined();
    expect(v8PoolRestartOptions({ ...twoCores, nodeOptions: '--v8-pool-size=0' })).toBeUndefined();
    expect(v8PoolRestartOptions({ ...twoCores, execArgv: ['--v8-pool-size=3'] })).toBeUndefined();
  });

  it('reads the size node runs with: the command line over NODE_OPTIONS', () => {
    expect(v8PoolSizeOf([], '--v8-pool-size=1')).toBe('1');
    expect(v8PoolSizeOf(['--v8-pool-size', '3'], '--v8-pool-size=1')).toBe('3');
    expect(v8PoolSizeOf([], '--max-old-space-size=512')).toBeUndefined();
  });

  it('recognises the flag only as a flag', () => {
    expect(v8PoolSizeOf(['--v8-pool-size', '2'], undefined)).toBe('2');
    expect(v8PoolSizeOf([], '--v8-pool-sizes=2')).toBeUndefined();
  });
});
