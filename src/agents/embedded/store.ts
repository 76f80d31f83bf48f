/**
 * Saving and loading trained classifiers, and the load-or-train policy. Training takes a few seconds, so
 * the trained weights are cached in a binary file keyed by a fingerprint of everything that shapes them:
 * the training set, the taxonomy, the hand-written phrases, the options and this module's own source. Any
 * change gives a new fingerprint, so a stale cache is never used; it is rebuilt on the next load.
 *
 * File layout: "ZFEMB2\n", a u32 header length, a JSON header (shapes, vocabulary, scalars), then the
 * Float32 arrays back to back (4-byte aligned), in the order the header lists them.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Taxonomy } from '../../taxonomy/index.js';
import { defaultEmbeddedTrainingOptions, EmbeddedClassifiers, type EmbeddedTrainingOptions } from './classifiers.js';
import { parseLabeledConversations } from './dataset.js';
import { ModelCacheError, TrainingDataError } from './errors.js';
import { EscalationAnalyzer } from './escalation.js';
import { Featurizer, type FeatureOptions } from './features.js';
import { leafPhrases } from './leaf-phrases.js';
import type { ScoreWeights, SiblingGroup } from './path-distribution.js';
import { LinearSvm } from './svm.js';
import { Typifier } from './typifier.js';

const MAGIC = 'ZFEMB2\n';
const moduleDir = dirname(fileURLToPath(import.meta.url));

/** The package root (the folder with zapflow's package.json), from src/ or dist/src/. */
export function packageRoot(): string {
  let dir = moduleDir;
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'zapflow') return dir;
    } catch {
      // not here; go up
    }
    dir = dirname(dir);
  }
  return process.cwd();
}

/** The bundled public dev set the default model is trained on. */
export function defaultTrainingSetFile(): string {
  return join(packageRoot(), 'data', 'datasets', 'typification-dev.jsonl');
}

/** node_modules/.cache is where build tools keep regenerable caches; deleting it only costs a retrain. */
export function defaultCacheDir(): string {
  return join(packageRoot(), 'node_modules', '.cache', 'zapflow');
}

function sourceFingerprint(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(moduleDir).sort()) {
    if (/\.(ts|js)$/.test(name) && !name.endsWith('.d.ts')) hash.update(name).update(readFileSync(join(moduleDir, name)));
  }
  return hash.digest('hex');
}

export function trainingFingerprint(trainingText: string, taxonomy: Taxonomy, options: EmbeddedTrainingOptions): string {
  return createHash('sha256')
    .update(MAGIC)
    .update(trainingText)
    .update(JSON.stringify(taxonomy.leaves().map((leaf) => leaf.map((id) => [id, taxonomy.label(id), taxonomy.description(id)]))))
    .update(JSON.stringify(leafPhrases))
    .update(JSON.stringify(options))
    .update(sourceFingerprint())
    .digest('hex')
    .slice(0, 24);
}

interface SvmHeader {
  classCount: number;
  dimension: number;
  temperature: number;
  weights: number;
  bias: number;
}

interface Header {
  fingerprint: string;
  features: { options: FeatureOptions; vocabulary: string[][]; idf: number };
  leafClassifier: SvmHeader;
  levelClassifiers: SvmHeader[];
  /** Absent in files written before the sibling classifiers existed. */
  siblingClassifiers?: { group: SiblingGroup; svm: SvmHeader }[];
  scoreWeights: ScoreWeights;
  escalate: SvmHeader;
  reason: SvmHeader;
  emotion: SvmHeader;
  classifierThreshold: number;
  /** Content hashes of the training conversations, sorted (absent in files written before they were kept). */
  trainingHashes?: string[];
  /** Free-form facts about a versioned model (when trained, from what); see model-versions.ts. */
  meta?: Record<string, unknown>;
  arrays: number[];
}

export function serializeClassifiers(classifiers: EmbeddedClassifiers, fingerprint: string, meta?: Record<string, unknown>): Buffer {
  const arrays: Float32Array[] = [];
  const push = (array: Float32Array): number => arrays.push(array) - 1;
  const svm = (s: LinearSvm): SvmHeader => {
    return { classCount: s.classCount, dimension: s.dimension, temperature: s.temperature, weights: push(s.weights), bias: push(s.bias) };
  };
  const { typifier, escalation } = classifiers;
  const vocabulary = typifier.featurizer.vocabulary.map((block) => {
    const terms: string[] = [];
    for (const [term, column] of block) terms[column] = term;
    return terms;
  });
  const header: Header = {
    fingerprint,
    features: { options: typifier.featurizer.options, vocabulary: vocabulary.map((t) => t.filter((x) => x !== undefined)), idf: push(typifier.featurizer.idf) },
    leafClassifier: svm(typifier.classifier),
    levelClassifiers: typifier.levelClassifiers.map(svm),
    siblingClassifiers: typifier.siblingClassifiers.map((s) => ({ group: s.group, svm: svm(s.svm) })),
    scoreWeights: typifier.scoreWeights,
    escalate: svm(escalation.escalateClassifier),
    reason: svm(escalation.reasonClassifier),
    emotion: svm(escalation.emotionClassifier),
    classifierThreshold: escalation.classifierThreshold,
    trainingHashes: [...classifiers.trainingHashes].sort(),
    ...(meta ? { meta } : {}),
    arrays: [],
  };
  header.arrays = arrays.map((a) => a.length);
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(MAGIC.length + 4);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(headerBytes.length, MAGIC.length);
  const padding = Buffer.alloc((4 - ((prefix.length + headerBytes.length) % 4)) % 4);
  return Buffer.concat([prefix, headerBytes, padding, ...arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))]);
}

/**
 * The header's facts about a model file (`meta`, the training hashes) without building the classifiers:
 * the console lists versions often, and a version file is immutable (content-addressed), so only the
 * first bytes are read.
 */
export function readModelFacts(file: string): { meta?: Record<string, unknown>; trainingConversations: number } {
  const fd = openSync(file, 'r');
  try {
    const prefix = Buffer.alloc(MAGIC.length + 4);
    readSync(fd, prefix, 0, prefix.length, 0);
    if (prefix.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) throw new ModelCacheError(file, 'not a zapflow model file');
    const headerBytes = Buffer.alloc(prefix.readUInt32LE(MAGIC.length));
    readSync(fd, headerBytes, 0, headerBytes.length, prefix.length);
    const header = JSON.parse(headerBytes.toString('utf8')) as Pick<Header, 'meta' | 'trainingHashes'>;
    return { ...(header.meta ? { meta: header.meta } : {}), trainingConversations: header.trainingHashes?.length ?? 0 };
  } catch (error) {
    if (error instanceof ModelCacheError) throw error;
    throw new ModelCacheError(file, 'unreadable header', { cause: error });
  } finally {
    closeSync(fd);
  }
}

export function deserializeClassifiers(
  bytes: Buffer,
  taxonomy: Taxonomy,
  source: string,
): { classifiers: EmbeddedClassifiers; fingerprint: string; meta?: Record<string, unknown> } {
  if (bytes.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) throw new ModelCacheError(source, 'not a zapflow model file');
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const headerStart = MAGIC.length + 4;
  let header: Header;
  try {
    header = JSON.parse(bytes.subarray(headerStart, headerStart + headerLength).toString('utf8')) as Header;
  } catch (error) {
    throw new ModelCacheError(source, 'unreadable header', { cause: error });
  }
  let offset = headerStart + headerLength;
  offset += (4 - (offset % 4)) % 4;
  // Copy into a fresh, aligned buffer: Float32Array views need 4-byte alignment and the file is read once.
  const arrays = header.arrays.map((length) => {
    const end = offset + length * 4;
    if (end > bytes.length) throw new ModelCacheError(source, 'truncated');
    const array = new Float32Array(length);
    Buffer.from(array.buffer).set(bytes.subarray(offset, end));
    offset = end;
    return array;
  });
  const array = (index: number): Float32Array => arrays[index] as Float32Array;
  const svm = (h: SvmHeader): LinearSvm => new LinearSvm(h.classCount, h.dimension, array(h.weights), array(h.bias), h.temperature);
  const vocabulary = header.features.vocabulary.map((terms, block) => {
    const offsetInBlock = header.features.vocabulary.slice(0, block).reduce((sum, t) => sum + t.length, 0);
    return new Map(terms.map((term, i) => [term, offsetInBlock + i]));
  });
  // Files written before side remarks and signal terms carry neither option: they were trained without them.
  const stored: Partial<FeatureOptions> = header.features.options;
  const featurizer = new Featurizer(
    { ...header.features.options, asideWeight: stored.asideWeight ?? 1, signalWeight: stored.signalWeight ?? 0 },
    vocabulary,
    array(header.features.idf),
  );
  const typifier = new Typifier(taxonomy, featurizer, svm(header.leafClassifier), header.levelClassifiers.map(svm), header.scoreWeights,
    (header.siblingClassifiers ?? []).map((s) => ({ group: s.group, svm: svm(s.svm) })),
  );
  const escalation = new EscalationAnalyzer(svm(header.escalate), svm(header.reason), svm(header.emotion), header.classifierThreshold);
  const classifiers = new EmbeddedClassifiers(typifier, escalation, new Set(header.trainingHashes ?? []));
  return { classifiers, fingerprint: header.fingerprint, ...(header.meta ? { meta: header.meta } : {}) };
}

export interface LoadClassifiersOptions {
  taxonomy: Taxonomy;
  /** Labeled JSONL to train on. @default data/datasets/typification-dev.jsonl */
  trainingSetFile?: string;
  /** Where trained models are cached; `false` trains on every load. @default node_modules/.cache/zapflow */
  cacheDir?: string | false;
  options?: EmbeddedTrainingOptions;
}

export interface LoadedClassifiers {
  classifiers: EmbeddedClassifiers;
  /** 'cache' when read from a fresh cache file, 'trained' when trained now. */
  origin: 'cache' | 'trained';
  fingerprint: string;
}

/** Older models (other fingerprints) are never read again: delete them so the cache does not grow. */
function removeStaleCaches(dir: string, keep: string): void {
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (/^embedded-[0-9a-f]+\.bin$/.test(name) && file !== keep) rmSync(file, { force: true });
  }
}

/** Reads the cached model when it matches the current inputs, else trains and (best effort) caches it. */
export function loadOrTrainClassifiers(load: LoadClassifiersOptions): LoadedClassifiers {
  const file = load.trainingSetFile ?? defaultTrainingSetFile();
  const options = load.options ?? defaultEmbeddedTrainingOptions;
  let trainingText: string;
  try {
    trainingText = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TrainingDataError(
      `The embedded model's training set ${file} cannot be read (${(error as Error).message}); it ships in data/datasets/.`,
      { cause: error },
    );
  }
  const fingerprint = trainingFingerprint(trainingText, load.taxonomy, options);
  const cacheFile = load.cacheDir === false ? undefined : join(load.cacheDir ?? defaultCacheDir(), `embedded-${fingerprint}.bin`);
  if (cacheFile) {
    try {
      const loaded = deserializeClassifiers(readFileSync(cacheFile), load.taxonomy, cacheFile);
      if (loaded.fingerprint === fingerprint) return { classifiers: loaded.classifiers, origin: 'cache', fingerprint };
    } catch {
      // Missing or unusable cache: train below and overwrite it.
    }
  }
  const classifiers = EmbeddedClassifiers.train(load.taxonomy, parseLabeledConversations(trainingText, file), options);
  if (cacheFile) {
    try {
      mkdirSync(dirname(cacheFile), { recursive: true });
      // Write then rename: a concurrent reader never sees half a file.
      const temporary = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(temporary, serializeClassifiers(classifiers, fingerprint));
      renameSync(temporary, cacheFile);
      removeStaleCaches(dirname(cacheFile), cacheFile);
    } catch {
      // A read-only install still works; it just trains on each start.
    }
  }
  return { classifiers, origin: 'trained', fingerprint };
}
