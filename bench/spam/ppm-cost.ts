/** Round 7: CPU per message and table fill of the PPM model trained on the whole manifest. */
import { extractFeatures } from '@torii/spam-engine';
import { PpmModel } from './ppm';
import { parseArgs, readManifest, readMessage } from './corpus';
const args = parseArgs(process.argv.slice(2));
const entries = readManifest(args.manifest as string);
const texts: string[] = [];
const labels: number[] = [];
let featMs = 0;
for (const e of entries) {
  const raw = readMessage(args.root as string, e);
  const t = process.cpuUsage();
  const f = extractFeatures({ message: raw });
  const u = process.cpuUsage(t);
  featMs += (u.user + u.system) / 1000;
  texts.push(f.gramText ?? '');
  labels.push(e.label === 'spam' ? 1 : 0);
}
console.log(`extractFeatures ${(featMs / texts.length).toFixed(3)} ms/msg; mean text ${(texts.reduce((a, t) => a + t.length, 0) / texts.length).toFixed(0)} chars`);
for (const spec of String(args.ppm).split(',')) {
  const [order, symBits, ctxBits, adaptive] = spec.split(':').map(Number);
  const o = { order, symBits, ctxBits, adaptive: adaptive === 1, norm: 1 };
  let t = Date.now();
  const m = PpmModel.train(texts, labels, o);
  const trainMs = Date.now() - t;
  for (let rep = 0; rep < 2; rep++) {
    const c = process.cpuUsage();
    let s = 0;
    for (const x of texts) s += m.margin(x);
    const u = process.cpuUsage(c);
    if (rep) console.log(`${spec}: train ${trainMs} ms, score ${((u.user + u.system) / 1000 / texts.length).toFixed(3)} ms/msg (${s.toFixed(1)})`);
  }
  for (const [name, cm] of [['ham', m.ham], ['spam', m.spam]] as const) {
    const nz = (a: Uint32Array) => a.reduce((k, v) => k + (v ? 1 : 0), 0);
    const max = (a: Uint32Array) => a.reduce((k, v) => (v > k ? v : k), 0);
    const over255 = (a: Uint32Array) => a.reduce((k, v) => k + (v > 255 ? 1 : 0), 0);
    console.log(`  ${name}: sym nonzero ${nz(cm.sym)} of ${cm.sym.length} (max ${max(cm.sym)}, >255 ${over255(cm.sym)}), ctx nonzero ${nz(cm.ctxN)} of ${cm.ctxN.length} (max n ${max(cm.ctxN)})`);
  }
}
