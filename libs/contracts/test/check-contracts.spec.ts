// Runs tools/check-contracts.js (and gen-contracts.js) in a child process against a temporary copy of
// proto/ and the generated code, so the real tree is never modified.
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(__dirname, '../../..');
const genDir = join('libs', 'contracts', 'src', 'gen');
const sampleFile = join(genDir, 'torii', 'mail', 'v1', 'mail_received_pb.ts');

function runTool(script: string, root: string) {
  const result = spawnSync(process.execPath, [join(repo, 'tools', script), '--root', root], {
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('tools/check-contracts.js', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'torii-check-'));
    cpSync(join(repo, 'proto'), join(root, 'proto'), { recursive: true });
    cpSync(join(repo, genDir), join(root, genDir), { recursive: true });
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('passes when the committed code is what proto/ generates', () => {
    const { status, output } = runTool('check-contracts.js', root);
    expect(output).toContain('up to date');
    expect(status).toBe(0);
  });

  it('fails, naming the file, after a generated file was edited by hand', () => {
    appendFileSync(join(root, sampleFile), '\nexport const handEdit = 1;\n');
    const { status, output } = runTool('check-contracts.js', root);
    expect(status).toBe(1);
    expect(output).toContain(`stale (differs from proto/):  ${sampleFile.split('\\').join('/')}`);
    expect(output).toContain('npm run proto:gen');
  });

  it('fails when a .proto changed and the code was not regenerated, and passes after proto:gen', () => {
    const proto = join(root, 'proto', 'torii', 'mail', 'v1', 'tenant.proto');
    appendFileSync(proto, '\n// A new message.\nmessage TenantNote {\n  // Text.\n  string text = 1;\n}\n');

    const stale = runTool('check-contracts.js', root);
    expect(stale.status).toBe(1);
    expect(stale.output).toContain('tenant_pb.ts');

    expect(runTool('gen-contracts.js', root).status).toBe(0);
    expect(readFileSync(join(root, genDir, 'torii', 'mail', 'v1', 'tenant_pb.ts'), 'utf8')).toContain(
      'TenantNote',
    );
    expect(runTool('check-contracts.js', root).status).toBe(0);
  });
});
