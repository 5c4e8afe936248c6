import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['**/dist', '**/node_modules', '**/out-tsc', '**/coverage', 'libs/contracts/src/gen/**', '**/prisma/migrations/**', '**/generated/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // A service may use shared libraries, never another service; a library never uses a service.
            { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            // End-to-end tests drive the services as processes; they import only shared libraries.
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:tenant', onlyDependOnLibsWithTags: ['scope:shared', 'scope:tenant'] },
            { sourceTag: 'scope:edge-mta', onlyDependOnLibsWithTags: ['scope:shared', 'scope:edge-mta'] },
            { sourceTag: 'scope:delivery', onlyDependOnLibsWithTags: ['scope:shared', 'scope:delivery'] },
            { sourceTag: 'scope:spam-filter', onlyDependOnLibsWithTags: ['scope:shared', 'scope:spam-filter'] },
            { sourceTag: 'scope:virus-scan', onlyDependOnLibsWithTags: ['scope:shared', 'scope:virus-scan'] },
            { sourceTag: 'scope:spool', onlyDependOnLibsWithTags: ['scope:shared', 'scope:spool'] },
            { sourceTag: 'scope:audit-archive', onlyDependOnLibsWithTags: ['scope:shared', 'scope:audit-archive'] },
            { sourceTag: 'scope:billing', onlyDependOnLibsWithTags: ['scope:shared', 'scope:billing'] },
          ],
        },
      ],
    },
  },
  prettier,
);
