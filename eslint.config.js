import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'schema/**', 'test-output/**', '**/dist/**', 'examples/**/public/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // The portal runs in the browser; its test support and end-to-end tests run in Node.
    files: ['packages/web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      // A value from the contract's schema modules would bundle zod into the portal (and zod's probe for
      // eval breaks the portal's Content-Security-Policy): types only, and constants from zod-free modules.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@slipway/contract',
              allowTypeImports: true,
              allowImportNames: ['knownAuditKinds', 'auditReaderRole'],
              message: 'the portal imports types from @slipway/contract; a constant it needs goes into a module without zod (like audit-kinds.ts) and into allowImportNames in eslint.config.js',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/web/src/test-support/**', 'packages/web/src/**/*.test.{ts,tsx}'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    // Test code runs in Node, not in the bundle.
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
  {
    files: ['examples/**/*.js', 'examples/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
);
