import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { describeError } from '@torii/errors';
import { FEATURE_VERSION, loadModel, mergeDeltas, ModelDelta, SpamEngine, type Label, type MessageInput, type SpamModel, type SpamVerdict } from '@torii/spam-engine';
import { counter, gauge, histogram } from '@torii/telemetry';
import { unwatchFile, watchFile } from 'node:fs';
import { SPAM_FILTER_CONFIG, type SpamFilterConfig } from '../config';
import { DeltaRepository, type DeltaTransaction } from './delta.repository';

const modelInfo = gauge('torii_spam_model_info', 'The base model in use (value 1), by version', ['version']);
const reloadFailures = counter('torii_spam_model_reload_failures_total', 'Model files that changed but could not be loaded');
const scoreSeconds = histogram('torii_spam_score_seconds', 'Time to score one message (parse, features, model)', [], [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1]);

/**
 * The scoring model as the service holds it: the shipped base model (hot-reloaded when its file changes),
 * the shared model = base + every tenant's delta folded in with bounded influence (mergeDeltas), and each
 * tenant's own delta layered on top when scoring that tenant's mail (SPAM14). No tenant poisons another:
 * its delta only reaches others through the bounded merge.
 */
@Injectable()
export class ModelService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ModelService.name);
  private base!: SpamModel;
  private engine!: SpamEngine;
  private readonly deltas = new Map<string, ModelDelta>();
  private timer: NodeJS.Timeout | undefined;
  private watching = false;

  constructor(
    @Inject(SPAM_FILTER_CONFIG) private readonly config: SpamFilterConfig,
    private readonly repository: DeltaRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    this.base = loadModel(this.config.SPAM_MODEL_PATH);
    this.engine = new SpamEngine(this.base);
    modelInfo.set({ version: this.base.meta.version }, 1);
    await this.refreshDeltas();
    if (this.config.SPAM_MODEL_WATCH > 0) {
      watchFile(this.config.SPAM_MODEL_PATH, { interval: this.config.SPAM_MODEL_WATCH, persistent: false }, (now, before) => {
        if (now.mtimeMs !== before.mtimeMs) this.reloadQuietly();
      });
      this.watching = true;
    }
    this.timer = setInterval(() => {
      this.refreshDeltas().catch((error: unknown) => this.logger.warn(`refreshing deltas: ${describeError(error)}`));
    }, this.config.FEEDBACK_MERGE_INTERVAL);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.watching) unwatchFile(this.config.SPAM_MODEL_PATH);
  }

  get version(): string {
    return this.base.meta.version;
  }

  /** Reloads the base model file; a bad file throws (ModelFormatError) and the current model stays. */
  reload(): { version: string; tenants: number } {
    const next = loadModel(this.config.SPAM_MODEL_PATH);
    modelInfo.reset();
    modelInfo.set({ version: next.meta.version }, 1);
    this.base = next;
    this.remerge();
    this.logger.log(`model ${next.meta.version} loaded from ${this.config.SPAM_MODEL_PATH}`);
    return { version: next.meta.version, tenants: this.deltas.size };
  }

  score(tenantId: string, input: MessageInput): SpamVerdict {
    const delta = this.deltas.get(tenantId);
    const end = scoreSeconds.startTimer();
    try {
      return this.engine.score(input, delta ? { delta } : {});
    } finally {
      end();
    }
  }

  /**
   * Teaches the tenant's delta and persists it; the shared model follows at the next merge. The step is taken
   * on the stored delta under the repository's per-tenant lock, not on this replica's copy, so reports taken by
   * two replicas at once both count. `within` runs in the same transaction (the report's own rows): if either
   * fails nothing is kept, and the report can be sent again. This replica uses the new delta at once.
   */
  async learn(tenantId: string, input: MessageInput, label: Label, within?: (tx: DeltaTransaction) => Promise<void>): Promise<void> {
    const delta = await this.repository.update(
      tenantId,
      (stored) => {
        const delta = this.current(tenantId, stored);
        this.engine.learnDelta(delta, input, label);
        return delta;
      },
      within,
    );
    this.deltas.set(tenantId, delta);
  }

  /** The delta to step: the stored one when it fits this model, else a fresh one (never this replica's copy, which may be stale). */
  private current(tenantId: string, stored: unknown): ModelDelta {
    if (stored !== undefined) {
      try {
        const parsed = ModelDelta.fromJSON(stored);
        if (parsed.fits(this.base)) return parsed;
      } catch (error) {
        this.logger.warn(`tenant ${tenantId}: unreadable delta replaced: ${describeError(error)}`);
      }
    }
    return ModelDelta.for(this.base);
  }

  /** Re-reads every tenant's delta (other replicas' feedback too) and rebuilds the shared model. */
  async refreshDeltas(): Promise<void> {
    const stored = await this.repository.all();
    for (const { tenantId, delta } of stored) {
      try {
        const parsed = ModelDelta.fromJSON(delta);
        if (parsed.fits(this.base)) this.deltas.set(tenantId, parsed);
        else if (!this.deltas.has(tenantId)) {
          // Learned against another feature version: its buckets mean other features now. The tenant's
          // feedback starts again from this model (its next report saves a delta of the current version).
          this.logger.warn(`tenant ${tenantId}: delta of feature version ${parsed.featureVersion} ignored (this engine has ${FEATURE_VERSION})`);
        }
      } catch (error) {
        this.logger.warn(`tenant ${tenantId}: unreadable delta ignored: ${describeError(error)}`);
      }
    }
    this.remerge();
  }

  private remerge(): void {
    for (const [tenantId, delta] of this.deltas) if (!delta.fits(this.base)) this.deltas.delete(tenantId);
    const deltas = [...this.deltas.values()];
    const shared = deltas.length ? mergeDeltas(this.base, deltas, { maxWeight: 1, minTenants: this.config.FEEDBACK_MIN_TENANTS, minAgreeing: this.config.FEEDBACK_MIN_AGREEING }) : this.base;
    this.engine.use(shared);
  }

  private reloadQuietly(): void {
    try {
      this.reload();
    } catch (error) {
      reloadFailures.inc();
      this.logger.error(`model file changed but could not be loaded; keeping ${this.version}: ${describeError(error)}`);
    }
  }
}
