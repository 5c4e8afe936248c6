/**
 * The engine's fixtures scored with the shipped model and with other calibrations of the same base models (round 8):
 *   node -r @swc-node/register bench/spam/fixtures-cal.ts --cal a,g,b [--cal a,g,b ...]   (a list: --cal 1,0.4,1/0.8,0.5,0.4)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, SpamEngine } from '@torii/spam-engine';
import { parseArgs } from './corpus';

const args = parseArgs(process.argv.slice(2));
const dir = join(__dirname, '..', '..', 'libs', 'spam-engine', 'fixtures');
const model = loadModel();
const shipped = { ...model.calibration };
const cals = [shipped, ...String(args.cal ?? '').split('/').filter(Boolean).map((s) => { const [a, g, b] = s.split(',').map(Number); return { a, g, b }; })];
console.log(`fixture | ${cals.map((c) => `a ${c.a.toFixed(3)} g ${(c.g ?? 0).toFixed(3)} b ${c.b.toFixed(3)}`).join(' | ')}`);
for (const f of readdirSync(dir).filter((n) => n.endsWith('.eml')).sort()) {
  const message = readFileSync(join(dir, f));
  const out = cals.map((c) => {
    model.calibration = c;
    return new SpamEngine(model).score({ message }).percent.toFixed(2);
  });
  console.log(`${f} | ${out.join(' | ')}`);
}
model.calibration = shipped;
