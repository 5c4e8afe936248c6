// Haraka plugin: opens the shared runtime (NATS, directory cache, object store) when Haraka starts and
// closes it on shutdown. Connections open here, never in register(), as Haraka plugins should.
import type { HarakaNext } from '../haraka/haraka-types';
import { edgeRuntime } from '../runtime';

export function hook_init_master(next: HarakaNext): void {
  void edgeRuntime()
    .start()
    .then(() => next());
}

export function hook_init_child(next: HarakaNext): void {
  void edgeRuntime()
    .start()
    .then(() => next());
}

export function shutdown(): void {
  void edgeRuntime().stop();
}
