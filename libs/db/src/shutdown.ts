/**
 * Disconnects a Prisma client at shutdown, never hanging the process. Call it from `onApplicationShutdown`,
 * the last Nest phase: by then the consumers and workers that query through the client have stopped
 * (they stop in `beforeApplicationShutdown`). Prisma 6's `$disconnect()` with a driver adapter can wait
 * forever when queries are still being issued (seen in delivery: a disconnect in `onModuleDestroy`, while
 * the worker still ran, never returned), so the wait is bounded and a timeout is reported, not thrown.
 */
export async function disconnectPrisma(
  client: { $disconnect(): Promise<void> },
  options: { timeoutMs?: number; onTimeout?: (message: string) => void } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  const disconnected = client.$disconnect().then(() => 'done' as const);
  try {
    if ((await Promise.race([disconnected, timedOut])) === 'timeout') {
      options.onTimeout?.(
        `database disconnect did not finish within ${timeoutMs} ms; going on with shutdown`,
      );
      disconnected.catch(() => undefined);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** A readiness check of a Prisma client: the database answers `SELECT 1`. */
export function prismaReadiness(client: { $queryRawUnsafe(query: string): Promise<unknown> }): () => Promise<void> {
  return async () => {
    await client.$queryRawUnsafe('SELECT 1');
  };
}
