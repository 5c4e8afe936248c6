/**
 * Two spam-filter replicas at once on one real Postgres schema: two Prisma clients, each with its own
 * QuarantineRepository. A "gate" on one replica's transaction holds it right after its first read of the items
 * (a GC pause, a slow network) while the other replica removes the same item (race review 5 and 6).
 */
import { createTestSchema, type TestSchema } from '@torii/db';
import { join } from 'node:path';
import { PrismaService } from '../src/db/prisma.service';
import { QuarantineRepository, type ItemRow } from '../src/quarantine/quarantine.repository';

jest.setTimeout(120_000);

const actor = { principal: { subject: 'u', role: 'user' }, tenantId: 't1', domain: 'race.example' } as never;
const quota = async () => 1_000_000;
const noDelete = async () => undefined;

describe('two spam-filter replicas removing the same quarantined item (real Postgres)', () => {
  let db: TestSchema;
  let clients: PrismaService[];
  let repos: QuarantineRepository[];

  beforeAll(async () => {
    db = await createTestSchema({ schema: 'spam', prismaConfigPath: join(__dirname, '../prisma.config.ts') });
    clients = [0, 1].map(() => new PrismaService(db.url));
    repos = clients.map((c) => new QuarantineRepository(c));
  });

  afterAll(async () => {
    for (const c of clients ?? []) await c.$disconnect();
    await db?.drop();
  });

  /**
   * Holds the next transaction of `client` just after its first `tx.<model>.<method>` call returned, until
   * `release()`. `reached` resolves when it is held.
   */
  function pauseAfter(client: PrismaService, model: string, method: string) {
    let reached!: () => void;
    let open!: () => void;
    const reachedP = new Promise<void>((r) => (reached = r));
    const gate = new Promise<void>((r) => (open = r));
    type Run = (fn: (tx: unknown) => Promise<unknown>, o?: unknown) => Promise<unknown>;
    const target = client as unknown as { $transaction: Run };
    const original = target.$transaction.bind(client) as Run;
    let armed = true;
    const bind = (o: object, v: unknown) => (typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(o) : v);
    target.$transaction = (fn, o) =>
      original(
        (tx) =>
          fn(
            new Proxy(tx as object, {
              get(t, p) {
                const v = (t as Record<string | symbol, unknown>)[p];
                if (p !== model || !armed) return bind(t, v);
                return new Proxy(v as object, {
                  get(m, q) {
                    const f = (m as Record<string | symbol, unknown>)[q];
                    if (q !== method || typeof f !== 'function') return bind(m, f);
                    return async (...a: unknown[]) => {
                      const r = await (f as (...x: unknown[]) => Promise<unknown>).apply(m, a);
                      if (armed) {
                        armed = false;
                        reached();
                        await gate;
                      }
                      return r;
                    };
                  },
                });
              },
            }),
          ),
        o,
      );
    return {
      reached: reachedP,
      release: () => {
        open();
        target.$transaction = original;
      },
    };
  }

  async function item(messageId: string, { expired = false, address = 'u@race.example', size = 10 } = {}): Promise<ItemRow> {
    return clients[0].quarantineItem.create({
      data: {
        tenantId: 't1',
        domain: 'race.example',
        address,
        messageId,
        sender: 's@x',
        subject: 's',
        date: new Date(),
        scorePercent: 99,
        size,
        objectKey: `copy/${messageId}`,
        expiresAt: new Date(Date.now() + (expired ? -1000 : 86_400_000)),
      },
    });
  }

  const releaseOf = (id: string) => ({
    notices: [{ submitId: `quarantine-release-${id}`, payload: new Uint8Array([1]) }],
    audit: { actor, action: 'spam.quarantine.release' as const, target: id },
  });
  const notices = (id: string) => clients[0].quarantineOutbox.count({ where: { submitId: `quarantine-release-${id}` } });
  const audits = (id: string) => clients[0].auditLog.findMany({ where: { target: id }, select: { action: true } });
  const settle = <T>(p: Promise<T>) => p.then((ok) => ({ ok }), (error: unknown) => ({ error: String(error) }));

  it('a release racing the retention sweep of the same item: no deadlock, released once, the sweep removes nothing', async () => {
    const [a, b] = repos;
    const expired = await item('m-sweep', { expired: true });
    // Replica A's sweep has read the expired item; replica B releases it meanwhile.
    const paused = pauseAfter(clients[0], 'quarantineItem', 'findMany');
    const sweeping = settle(a.removeExpired(new Date(), 100, noDelete, quota));
    await paused.reached;
    const releasing = settle(b.remove([expired.id], noDelete, quota, releaseOf(expired.id)));
    await new Promise((r) => setTimeout(r, 300));
    paused.release();
    const [swept, released] = await Promise.all([sweeping, releasing]);
    expect(swept).toEqual({ ok: { found: 1, removed: 0 } });
    expect(released).toEqual({ ok: [expect.objectContaining({ id: expired.id })] });
    expect(await notices(expired.id)).toBe(1);
  });

  it('the sweep holding the item while a release waits: no deadlock, the release finds it gone and writes nothing', async () => {
    const [a, b] = repos;
    const expired = await item('m-sweep-2', { expired: true });
    // Replica A's release has read the item (not locked yet); replica B's sweep removes it first.
    const paused = pauseAfter(clients[0], 'quarantineItem', 'findMany');
    const releasing = settle(a.remove([expired.id], noDelete, quota, releaseOf(expired.id)));
    await paused.reached;
    const swept = await b.removeExpired(new Date(), 100, noDelete, quota);
    paused.release();
    expect(swept).toEqual({ found: 1, removed: 1 });
    expect(await releasing).toEqual({ ok: [] });
    expect(await notices(expired.id)).toBe(0);
    expect(await audits(expired.id)).toEqual([]);
  });

  it('a release racing a delete of the same item: the deleted item is not released, only the delete is audited', async () => {
    const [a, b] = repos;
    const held = await item('m-del');
    const paused = pauseAfter(clients[0], 'quarantineItem', 'findMany');
    const releasing = settle(a.remove([held.id], noDelete, quota, releaseOf(held.id)));
    await paused.reached;
    const deleted = await b.remove([held.id], noDelete, quota, { audit: { actor, action: 'spam.quarantine.delete', target: held.id } });
    paused.release();
    expect(deleted.map((i) => i.id)).toEqual([held.id]);
    expect(await releasing).toEqual({ ok: [] });
    expect(await notices(held.id)).toBe(0);
    expect(await audits(held.id)).toEqual([{ action: 'spam.quarantine.delete' }]);
  });

  it('two releases of one item at once: one removes it and writes its notice; the other writes nothing and fails nothing', async () => {
    const [a, b] = repos;
    const held = await item('m-twice');
    const paused = pauseAfter(clients[0], 'quarantineItem', 'findMany');
    const first = settle(a.remove([held.id], noDelete, quota, releaseOf(held.id)));
    await paused.reached;
    const second = await settle(b.remove([held.id], noDelete, quota, releaseOf(held.id)));
    paused.release();
    // Before: the late one also wrote the notice → P2002 on submitId → a 500 for a release that was made.
    expect(second).toEqual({ ok: [expect.objectContaining({ id: held.id })] });
    expect(await first).toEqual({ ok: [] });
    expect(await notices(held.id)).toBe(1);
    expect(await audits(held.id)).toEqual([{ action: 'spam.quarantine.release' }]);
  });

  it('the sweep re-arms the 80% warning under the address lock: an admission at the same time does not undo it', async () => {
    const [a, b] = repos;
    const address = 'warned@race.example';
    // Quota 1000, warned at 850 bytes: an expired item of 450 and one of 400. Replica B admits 100 bytes and has
    // counted 850 used (it will keep `warned`); replica A's sweep removes the 450 meanwhile: 500 used after both.
    await item('m-warn-old', { expired: true, address, size: 450 });
    await item('m-warn-keep', { address, size: 400 });
    await clients[0].quarantineBox.create({ data: { address, domain: 'race.example', tenantId: 't1', warned: true } });
    const paused = pauseAfter(clients[1], 'quarantineItem', 'aggregate');
    const warnings: number[] = [];
    const admitting = settle(
      b.admit(
        { tenantId: 't1', domain: 'race.example', address, messageId: 'm-warn-new', sender: 's@x', subject: 's', date: new Date(), scorePercent: 99, size: 100, objectKey: 'copy/m-warn-new' },
        1000,
        {
          storeCopy: async () => undefined,
          refusal: async () => undefined,
          warning: async (used) => {
            warnings.push(used);
            return { submitId: `warn-${used}`, payload: new Uint8Array([1]) };
          },
        },
      ),
    );
    await paused.reached;
    const sweeping = settle(a.removeExpired(new Date(), 100, noDelete, async () => 1000));
    await new Promise((r) => setTimeout(r, 300));
    paused.release();
    const [swept, admitted] = await Promise.all([sweeping, admitting]);
    expect(swept).toEqual({ ok: { found: 1, removed: 1 } });
    expect(admitted).toEqual({ ok: expect.objectContaining({ kind: 'stored' }) });
    const used = await clients[0].quarantineItem.aggregate({ where: { address }, _sum: { size: true } });
    expect(used._sum.size).toBe(500);
    expect(warnings).toEqual([]);
    // 50% used: re-armed, so the next crossing of 80% warns. Before, the admission's `warned: true` (from the
    // 850 it counted) landed after the sweep's re-arm and the next crossing went unwarned.
    expect((await clients[0].quarantineBox.findUnique({ where: { address } }))?.warned).toBe(false);
  });

  it('box settings while a removal re-arms the same box: no deadlock, both apply (setBox takes the address lock first)', async () => {
    const [a, b] = repos;
    const address = 'settings@race.example';
    const held = await item('m-settings', { address });
    await clients[0].quarantineBox.create({ data: { address, domain: 'race.example', tenantId: 't1', warned: true } });
    // Replica A's delete has removed the item (its row locked until commit) and is about to re-arm the box: the
    // quota callback holds it there until replica B's settings wait on a lock.
    let reached!: () => void;
    let open!: () => void;
    const atRearm = new Promise<void>((r) => (reached = r));
    const gate = new Promise<void>((r) => (open = r));
    const removing = settle(
      a.remove([held.id], noDelete, async () => {
        reached();
        await gate;
        return 1000;
      }),
    );
    await atRearm;
    const setting = settle(b.setBox({ address, domain: 'race.example', tenantId: 't1' }, { retentionDays: 30 }, () => true, actor));
    // B waits on a lock: before, the item rows A deleted (having upserted the box row); now, the address lock.
    for (let waited = 0; ; waited += 50) {
      const [row] = await clients[0].$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
      if (row.n > 0) break;
      if (waited > 20_000) throw new Error('replica B never waited on a lock');
      await new Promise((r) => setTimeout(r, 50));
    }
    open();
    // Before: A's re-arm waited on the box row B had upserted, B on the item rows A deleted: Postgres aborted one
    // of them (40P01 deadlock detected), a 500 for a delete or a settings change.
    const [removed, set] = await Promise.all([removing, setting]);
    expect(removed).toEqual({ ok: [expect.objectContaining({ id: held.id })] });
    expect(set).toEqual({ ok: expect.objectContaining({ address, retentionDays: 30 }) });
    expect(await clients[0].quarantineBox.findUnique({ where: { address } })).toMatchObject({ retentionDays: 30, warned: false });
  });
});
