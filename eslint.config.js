// Lint: typescript-eslint with type information (the project's tsconfig.test.json covers every file).
// Formatting is prettier's job (npm run format), so no stylistic rules here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'var/', 'coverage/', 'test-artifacts/', 'bench-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      // knex's query builders are thenables, and its where((w) => w.whereNull(…)) callbacks return them by
      // design: checking void-returning arguments would flag every nested condition. Floating promises are
      // still caught by no-floating-promises.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      eqeqeq: ['error', 'smart'],
      'no-console': 'error',
    },
  },
  {
    files: ['bin/**/*.js', 'eslint.config.js', 'src/admin/web/assets/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  // The command's entry script runs under Node (the TypeScript sources get Node's globals from @types/node)
  { files: ['bin/**/*.js'], languageOptions: { globals: { process: 'readonly' } } },
);
