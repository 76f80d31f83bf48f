import type { Command } from 'commander';
import { register as registerAgents } from './agents.js';
import { register as registerClassify } from './classify.js';
import { register as registerCorrections } from './corrections.js';
import { register as registerDemo } from './demo.js';
import { register as registerEval } from './eval.js';
import { register as registerMcpWhatsApp } from './mcp-whatsapp.js';
import { register as registerModel } from './model.js';
import { register as registerServe } from './serve.js';
import { register as registerSimulate } from './simulate.js';
import { register as registerStorageAdmin } from './storage-admin.js';
import { register as registerTrain } from './train.js';

/** Every subcommand registers itself here (one import + one call per command file). */
export function registerCommands(program: Command): void {
  registerAgents(program);
  registerClassify(program);
  registerCorrections(program);
  registerDemo(program);
  registerEval(program);
  registerMcpWhatsApp(program);
  registerModel(program);
  registerSimulate(program);
  registerServe(program);
  registerStorageAdmin(program);
  registerTrain(program);
}
