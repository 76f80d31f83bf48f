/**
 * The model the service answers with: the promoted embedded version, followed as admins promote others
 * (`zapflow model promote` or the console), without a restart and in every process that shares the model
 * folder. Before each turn it compares active.json's stat (one `stat` call, microseconds) with the one it
 * loaded; when it changed it loads the newly promoted version. A promotion takes effect between turns: while
 * turns are under way, the version they started with keeps answering, and a turn that starts after a
 * promotion waits for them to finish (milliseconds with this model), so one run's steps never mix two versions.
 * (It was an AsyncLocalStorage per turn: that turns on Node's promise hooks for the whole thread, a cost on every
 * promise of every turn, ~4 % of a turn's CPU in bench:turn.)
 *
 * A version that cannot be loaded (deleted, damaged) does not stop the service: the current model keeps
 * answering and the failure is reported once per change of active.json.
 */
import { statSync } from 'node:fs';
import type { Taxonomy } from '../../taxonomy/index.js';
import type { Model, ModelRequest, ModelResponse } from '../model.js';
import { EmbeddedModel } from './embedded-model.js';
import { activeModel, activeModelFile } from './model-versions.js';

export interface PromotedModelOptions {
  /** The model folder (ZAPFLOW_MODEL_DIR). */
  dir: string;
  taxonomy: Taxonomy;
  /** The model to answer with while no version is promoted. @default the bundled model, loaded when first needed */
  bundled?: () => EmbeddedModel;
  /** A newly promoted version is in use. */
  onSwitch?: (change: { from: string; to: string }) => void;
  /** The promoted version could not be loaded; the previous model keeps answering. */
  onLoadError?: (error: unknown) => void;
}

export class PromotedEmbeddedModel implements Model {
  readonly provider = 'embedded';
  readonly #options: PromotedModelOptions;
  /** Turns under way (forTurn): while there are any, #current does not change. */
  #inFlight = 0;
  /** Turns waiting for those to finish before a promotion takes effect. */
  #drained: Array<() => void> = [];
  #bundled: EmbeddedModel | undefined;
  #current: EmbeddedModel;
  #stamp: string;

  constructor(options: PromotedModelOptions) {
    this.#options = options;
    this.#stamp = this.#activeStamp();
    this.#current = this.#load();
  }

  /** The model a turn starting now would use (reloading first when active.json changed). */
  current(): EmbeddedModel {
    const stamp = this.#activeStamp();
    if (stamp !== this.#stamp) {
      this.#stamp = stamp;
      const before = this.#current;
      try {
        this.#current = this.#load();
        if (this.#current.modelId !== before.modelId) this.#options.onSwitch?.({ from: before.modelId, to: this.#current.modelId });
      } catch (error) {
        this.#options.onLoadError?.(error);
      }
    }
    return this.#current;
  }

  /** Runs one turn with the model current at its start, whatever is promoted meanwhile (see the header). */
  async forTurn<T>(work: () => Promise<T>): Promise<T> {
    while (this.#inFlight > 0 && this.#activeStamp() !== this.#stamp) await new Promise<void>((resolve) => this.#drained.push(resolve));
    if (this.#inFlight === 0) this.current();
    this.#inFlight++;
    try {
      return await work();
    } finally {
      if (--this.#inFlight === 0) {
        const waiting = this.#drained;
        this.#drained = [];
        for (const resume of waiting) resume();
      }
    }
  }

  complete<T>(request: ModelRequest<T>): Promise<ModelResponse<T>> {
    return (this.#inFlight > 0 ? this.#current : this.current()).complete(request);
  }

  #load(): EmbeddedModel {
    const version = activeModel(this.#options.dir)?.version;
    if (version !== undefined) return EmbeddedModel.load({ taxonomy: this.#options.taxonomy, modelDir: this.#options.dir, version });
    this.#bundled ??= this.#options.bundled?.() ?? EmbeddedModel.load({ taxonomy: this.#options.taxonomy, modelDir: false });
    return this.#bundled;
  }

  /** Changes whenever promote renames a new active.json into place (new inode), or it is removed. */
  #activeStamp(): string {
    const stat = statSync(activeModelFile(this.#options.dir), { throwIfNoEntry: false, bigint: true });
    return stat ? `${stat.ino}:${stat.mtimeNs}:${stat.size}` : 'none';
  }
}
