/**
 * Versioned embedded models: `zapflow train` writes `embedded-<version>.bin` into the model folder, where the
 * version is the content hash of the file (the same training data gives the same version); nothing changes
 * for customers until an admin promotes a version (`zapflow model promote <version>`), which writes
 * `active.json`. `EmbeddedModel.load` uses the promoted version when there is one, else the bundled model;
 * a running service follows a new active.json from its next turn (promoted-model.ts).
 * A correction therefore never changes the model silently.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Taxonomy } from '../../taxonomy/index.js';
import { defaultEmbeddedTrainingOptions, EmbeddedClassifiers, type EmbeddedTrainingOptions } from './classifiers.js';
import { conversationHash } from './content-hash.js';
import { parseLabeledConversations, type LabeledConversation } from './dataset.js';
import { ModelCacheError, TrainingDataError } from './errors.js';
import { deserializeClassifiers, packageRoot, readModelFacts, serializeClassifiers } from './store.js';

const VERSION_FILE = /^embedded-([0-9a-f]{16})\.bin$/;
const ACTIVE_FILE = 'active.json';

/** `ZAPFLOW_MODEL_DIR`, else data/models in the package (ignored by git). */
export function defaultModelDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ZAPFLOW_MODEL_DIR && env.ZAPFLOW_MODEL_DIR !== '' ? env.ZAPFLOW_MODEL_DIR : join(packageRoot(), 'data', 'models');
}

export interface TrainingSource {
  file: string;
  /** 'shipped' (the bundled labeled set) or 'corrections' (agents' corrections, exported from the console). */
  kind: 'shipped' | 'corrections';
}

export interface ModelVersionInfo {
  version: string;
  file: string;
  conversations: number;
  sources: { name: string; kind: TrainingSource['kind']; sha256: string; conversations: number }[];
  /** Shipped conversations whose labels a correction with the same content replaced. */
  correctedShipped: number;
}

/** Every label must be a valid path of the taxonomy; the error names the line and the field. */
export function assertLabelsInTaxonomy(conversations: readonly LabeledConversation[], taxonomy: Taxonomy, source: string): void {
  for (const [index, c] of conversations.entries()) {
    const problem = labelProblem(c, taxonomy);
    if (problem) throw new TrainingDataError(`${source}: conversation ${c.id} (number ${index + 1}): ${problem}`);
  }
}

/** Which label field is not in the taxonomy (or does not sit under the level above), or undefined. */
export function labelProblem(c: LabeledConversation, taxonomy: Taxonomy): string | undefined {
  const fields = ['businessUnit', 'product', 'motive', 'submotive'] as const;
  const path = fields.map((f) => c.label[f]);
  for (let depth = 0; depth < fields.length; depth++) {
    const prefix = path.slice(0, depth + 1);
    const valid = taxonomy.leaves().some((leaf) => prefix.every((id, i) => leaf[i] === id));
    if (!valid) {
      const field = fields[depth] as string;
      return depth === 0 || !taxonomy.leaves().some((leaf) => leaf[depth] === path[depth])
        ? `label.${field} "${path[depth] ?? ''}" is not in the taxonomy`
        : `label.${field} "${path[depth] ?? ''}" is not under label.${fields[depth - 1] as string} "${path[depth - 1] ?? ''}"`;
    }
  }
  return undefined;
}

/**
 * Trains on the shipped set plus corrections and writes a new version file (not promoted). A correction
 * with the same content as a shipped conversation replaces its label: the agent's word wins.
 */
export function trainModelVersion(input: {
  taxonomy: Taxonomy;
  sources: readonly TrainingSource[];
  dir?: string;
  options?: EmbeddedTrainingOptions;
}): ModelVersionInfo {
  const dir = input.dir ?? defaultModelDir();
  const byHash = new Map<string, LabeledConversation>();
  const sources: ModelVersionInfo['sources'] = [];
  let correctedShipped = 0;
  const correctionKeys = new Set<string>();
  for (const source of input.sources) {
    let text: string;
    try {
      text = readFileSync(source.file, 'utf8');
    } catch (error) {
      throw new TrainingDataError(`Cannot read ${source.file}: ${(error as Error).message}`, { cause: error });
    }
    const conversations = parseLabeledConversations(text, source.file);
    if (source.kind === 'corrections' && conversations.length === 0) throw new TrainingDataError(`${source.file} has no corrections in it.`);
    assertLabelsInTaxonomy(conversations, input.taxonomy, source.file);
    for (const c of conversations) {
      const hash = conversationHash(c.messages);
      if (source.kind === 'corrections' && byHash.has(hash)) correctedShipped++;
      if (source.kind === 'corrections') correctionKeys.add(correctionKey(c));
      byHash.set(hash, c);
    }
    sources.push({ name: basename(source.file), kind: source.kind, sha256: createHash('sha256').update(text).digest('hex').slice(0, 16), conversations: conversations.length });
  }
  const conversations = [...byHash.values()];
  const classifiers = EmbeddedClassifiers.train(input.taxonomy, conversations, input.options ?? defaultEmbeddedTrainingOptions);
  // Which corrections (content + label) went in, so the console can count the ones no version has learned yet.
  const meta = { sources, conversations: conversations.length, correctedShipped, ...(correctionKeys.size > 0 ? { correctionKeys: [...correctionKeys].sort() } : {}) };
  const bytes = serializeClassifiers(classifiers, 'versioned', meta);
  const version = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `embedded-${version}.bin`);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, file);
  return { version, file, conversations: conversations.length, sources, correctedShipped };
}

/** A version id, or a path to a model file; the file's content must still hash to its version. */
export function loadModelVersion(versionOrFile: string, taxonomy: Taxonomy, dir = defaultModelDir()): { classifiers: EmbeddedClassifiers; version: string } {
  const file = /^[0-9a-f]{16}$/.test(versionOrFile) ? join(dir, `embedded-${versionOrFile}.bin`) : versionOrFile;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new ModelCacheError(file, `cannot be read: ${(error as Error).message}; \`zapflow model list\` shows the versions`, { cause: error });
  }
  const version = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const named = VERSION_FILE.exec(basename(file))?.[1];
  if (named !== undefined && named !== version) throw new ModelCacheError(file, `its content hashes to ${version}, not to the version in its name`);
  return { classifiers: deserializeClassifiers(bytes, taxonomy, file).classifiers, version };
}

/**
 * A correction as a version learns it: the conversation's content hash and the leaf it was labeled with
 * (relabeling the same case to another leaf is a new correction that no version has learned yet).
 */
export function correctionKey(c: LabeledConversation): string {
  return `${conversationHash(c.messages)}:${c.label.submotive}`;
}

/** What the console shows about a trained version, read from its file's header (not its weights). */
export interface ModelVersionFacts {
  version: string;
  /** When the file was written (its mtime: the version is a content hash, so the file holds no clock). */
  createdAt: number;
  /** Conversations it was trained on (after corrections replaced shipped labels). */
  conversations: number;
  /** Corrections among its training sources. */
  corrections: number;
  correctionKeys: ReadonlySet<string>;
}

export function describeModelVersion(version: string, dir = defaultModelDir()): ModelVersionFacts {
  const file = join(dir, `embedded-${version}.bin`);
  const { meta, trainingConversations } = readModelFacts(file);
  const sources = Array.isArray(meta?.sources) ? (meta.sources as ModelVersionInfo['sources']) : [];
  const keys = Array.isArray(meta?.correctionKeys) ? (meta.correctionKeys as string[]) : [];
  return {
    version,
    createdAt: statSync(file).mtimeMs,
    conversations: typeof meta?.conversations === 'number' ? meta.conversations : trainingConversations,
    corrections: sources.filter((s) => s.kind === 'corrections').reduce((sum, s) => sum + s.conversations, 0),
    correctionKeys: new Set(keys),
  };
}

export interface ActiveModel {
  version: string;
  promotedAt: string;
  promotedBy: string;
}

/** The promoted version's record; its mtime tells running processes that an admin promoted another version. */
export function activeModelFile(dir = defaultModelDir()): string {
  return join(dir, ACTIVE_FILE);
}

export function activeModel(dir = defaultModelDir()): ActiveModel | undefined {
  const file = activeModelFile(dir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as ActiveModel;
}

/** Makes `version` the model the service and the CLI load from now on (after checking it loads). */
export function promoteModelVersion(version: string, taxonomy: Taxonomy, options: { dir?: string; by?: string; now?: Date } = {}): ActiveModel {
  const dir = options.dir ?? defaultModelDir();
  if (!/^[0-9a-f]{16}$/.test(version)) throw new ModelCacheError(version, 'a version is 16 hex digits, as `zapflow model list` prints it');
  loadModelVersion(version, taxonomy, dir);
  const active: ActiveModel = { version, promotedAt: (options.now ?? new Date()).toISOString(), promotedBy: options.by ?? 'cli' };
  const file = join(dir, ACTIVE_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(active, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return active;
}

export function listModelVersions(dir = defaultModelDir()): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => VERSION_FILE.exec(name)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort();
}
