// Haraka plugin: counts connections per listener and remembers which listener a connection came in on.
import type { HarakaConnection, HarakaNext } from '../haraka/haraka-types';
import { connectionState } from '../haraka/session';
import { edgeMetrics } from '../observability/edge-metrics';
import { edgeRuntime } from '../runtime';

export function hook_connect_init(next: HarakaNext, connection: HarakaConnection): void {
  const state = connectionState(connection);
  state.listener = connection.local.port === edgeRuntime().config.SMTP_RELAY_PORT ? 'relay' : 'inbound';
  // Haraka refuses MAIL on ports 587/465 unless `relaying` is set; our relay plugin decides per MAIL FROM.
  if (state.listener === 'relay') connection.relaying = true;
  edgeMetrics.connections.inc({ listener: state.listener });
  next();
}

export function hook_connect(next: HarakaNext): void {
  edgeRuntime().openConnections++;
  next();
}

export function hook_disconnect(next: HarakaNext): void {
  edgeRuntime().openConnections--;
  next();
}
