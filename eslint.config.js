// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

/**
 * The direction of imports (docs/architecture.md, "The dependency rule"): ports depend on
 * nothing; adapters and keys on ports and the small helpers in src/runtime; services on neither
 * the layers that call them nor the adapters; only the composition root and the store opener
 * (src/storage) see adapters. test/architecture/import-direction.test.ts shows it refusing each.
 */
export const importDirection = [
  'error',
  {
    basePath: import.meta.dirname,
    zones: [
      ...['./src/ports', './src/runtime'].flatMap((inner) => [
        {
          target: inner,
          from: './src',
          except: [inner.replace('./src/', './')],
          message: 'src/ports and src/runtime import nothing of the rest of Tessera.',
        },
        {
          target: inner,
          from: ['./adapters', './keys'],
          message: 'src/ports and src/runtime import neither adapters/ nor keys/.',
        },
      ]),
      {
        target: ['./adapters', './keys'],
        from: './src',
        except: ['./ports', './runtime'],
        message: 'adapters/ and keys/ depend only on src/ports and src/runtime.',
      },
      {
        target: './keys',
        from: './adapters',
        message: 'keys/ reaches the store through src/ports.',
      },
      {
        target: './adapters',
        from: './keys',
        message: 'adapters/ implement src/ports and know nothing of keys/.',
      },
      {
        target: ['./src/!(composition|storage)/**', './src/!(compose|compose-services|main).ts'],
        from: './adapters',
        message:
          'Only the composition root (src/composition) and the store opener (src/storage) see adapters.',
      },
      {
        target: './src/services',
        from: [
          './src/admin',
          './src/cli',
          './src/composition',
          './src/compose.ts',
          './src/compose-services.ts',
          './src/http',
          './src/interactions',
          './src/main.ts',
          './src/provider',
        ],
        message: 'Services do not depend on the layers that call them.',
      },
    ],
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })] },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'error',
      'no-console': 'error',
      // Ports are async; synchronous adapters (node:sqlite) implement them with async functions
      // on purpose, so that a throw becomes a rejection like any other adapter's.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['src/**', 'adapters/**', 'keys/**'],
    rules: { 'import-x/no-restricted-paths': importDirection },
  },
  {
    files: ['test/**', 'scripts/**', 'examples/**'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      // Tests take apart JSON bodies and CLI output, typed `any` on purpose.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  { files: ['eslint.config.js', 'bin/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['bin/*.js'], languageOptions: { globals: { process: 'readonly' } } },
  // Scripts the hosted pages load in the browser (passkeys): plain scripts, no type checking.
  {
    files: ['src/interactions/assets/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'script',
      globals: {
        window: 'readonly',
        document: 'readonly',
        fetch: 'readonly',
        URLSearchParams: 'readonly',
      },
    },
  },
);
