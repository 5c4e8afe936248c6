// The Nx module-boundary rule is the only thing that keeps services from reaching into each other; this
// proves lint really enforces it (a misconfigured rule or a lost project graph would silently allow all).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

function boundaryErrors(file: string, source: string): string[] {
  const path = join(root, file);
  writeFileSync(path, source);
  try {
    // ESLint loads its flat config with a dynamic import, which Jest's CommonJS sandbox cannot do: run it
    // as a process, as `nx lint` does.
    const run = spawnSync(join(root, 'node_modules', '.bin', 'eslint'), ['--format', 'json', path], {
      cwd: root,
      encoding: 'utf8',
    });
    const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
    return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  } finally {
    rmSync(path, { force: true });
  }
}

/**
 * A library the tenant service does not depend on: importing the service from a library it uses would be
 * reported as a circular dependency first, which hides the tag rule this test is about.
 */
function libraryOutsideTenant(): string {
  const manifest = JSON.parse(readFileSync(join(root, 'services/tenant/package.json'), 'utf8'));
  const used = new Set(Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }));
  const lib = readdirSync(join(root, 'libs')).find((name) => !used.has(`@torii/${name}`));
  if (!lib) throw new Error('every library is used by the tenant service; add a probe library');
  return lib;
}

describe('module boundaries', () => {
  // The rule reads Nx's cached project graph; refresh it so projects added since the last Nx run count.
  beforeAll(() => {
    const nx = spawnSync(join(root, 'node_modules', '.bin', 'nx'), ['show', 'projects'], { cwd: root, encoding: 'utf8' });
    expect(nx.status).toBe(0);
  });

  it('refuses a library importing a service', () => {
    const errors = boundaryErrors(
      `libs/${libraryOutsideTenant()}/src/boundary-probe.ts`,
      "import '@torii/tenant';\nexport const probe = 1;\n",
    );
    expect(errors.join('\n')).toMatch(/tagged with "type:lib" can only depend on libs tagged with "type:lib"/);
  });

  it('refuses a service importing another service', () => {
    const errors = boundaryErrors(
      'services/tenant/src/boundary-probe.ts',
      "import '@torii/edge-mta';\nexport const probe = 1;\n",
    );
    expect(errors.length).toBeGreaterThan(0);
  });

  it('lets a service import a shared library', () => {
    const errors = boundaryErrors(
      'services/tenant/src/boundary-probe.ts',
      "import { describeError } from '@torii/errors';\nexport const probe = describeError;\n",
    );
    expect(errors).toEqual([]);
  });
});
