import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortJournal } from './abort-journal';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined } as never;

describe('AbortJournal', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'journal-'))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('deletes what it can, keeps what still fails', async () => {
    const path = join(dir, 'aborted');
    await writeFile(path, 'mail/a.eml\nmail/b.eml\n');
    const journal = new AbortJournal(path, async (key) => {
      if (key === 'mail/b.eml') throw new Error('store down');
    }, quiet);
    expect(await journal.sweep()).toBe(1);
    expect(await readFile(path, 'utf8')).toBe('mail/b.eml\n');
  });

  it('never loses a key recorded while a sweep rewrites the file', async () => {
    const path = join(dir, 'aborted');
    await writeFile(path, Array.from({ length: 50 }, (_, i) => `mail/old-${i}.eml\n`).join(''));
    const deleted = new Set<string>();
    const journal = new AbortJournal(path, async (key) => void deleted.add(key), quiet);
    const recorded: string[] = [];
    let sweeping = true;
    const sweep = journal.sweep().finally(() => (sweeping = false));
    // Records keep landing for as long as the sweep runs, so some fall between its re-read and its rewrite.
    const recording = (async () => {
      while (sweeping) {
        const key = `mail/new-${recorded.length}.eml`;
        recorded.push(key);
        void journal.record(key);
        await new Promise((r) => setImmediate(r));
      }
    })();
    await Promise.all([sweep, recording]);
    await journal.record('mail/last.eml'); // after every earlier append
    const left = new Set((await readFile(path, 'utf8')).split('\n').filter(Boolean));
    // Each key was either deleted by the sweep or is still journalled: none vanished.
    expect(recorded.filter((k) => !deleted.has(k) && !left.has(k))).toEqual([]);
  });
});
