import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { moduleBoundaries } from './eslint.boundaries.mjs';

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'node_modules/', 'data/', 'test-results/', 'bench/.build/'] },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...moduleBoundaries,
  {
    files: ['test/**/*.ts', 'src/**/*.spec.ts'],
    rules: {
      // Jest in ESM mode has no global `jest` (the types still declare one): import it.
      'no-restricted-globals': [
        'error',
        { name: 'jest', message: "Jest runs in ESM mode: import { jest } from '@jest/globals'." },
      ],
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // node:test's describe and it return promises the runner itself awaits.
    files: ['bench/**/*.test.mts'],
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it'] }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  { files: ['public/**/*.js'], languageOptions: { sourceType: 'module', globals: globals.browser } },
  prettier,
);
