/**
 * The domain's virus policy knobs, as they travel in the directory snapshot's `virus_policy` settings (set
 * through the tenant API `PUT …/policies/virus`). Delivery applies them; virus-scan only shows them.
 *   unscannable = deliver (default: delivered with X-<Brand>-Virus-Check saying why) | hold
 *   on_failure  = hold (default: fail closed while clamd is away) | deliver
 */
export type UnscannablePolicy = 'deliver' | 'hold';

export function unscannablePolicyOf(settings: Record<string, string>): UnscannablePolicy {
  return settings['unscannable'] === 'hold' ? 'hold' : 'deliver';
}
