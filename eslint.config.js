// ESLint for the whole tree, run by `npm run lint` (and so by `npm test`, through pretest).
// Formatting belongs to Prettier (.prettierrc.json, `npm run format`): eslint-config-prettier turns off every rule
// Prettier owns, so the two never disagree. max-len stays on because Prettier breaks code, not strings or comments.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js', '.dependency-cruiser.cjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'max-len': ['error', { code: 120, ignoreUrls: true }],
      // One private-member style: ECMAScript's #private, which is private at run time too. TypeScript's `private`
      // (on members and constructor parameters) is refused, except on a constructor, which has no # form: a private
      // constructor keeps a static factory (`DataEngine.open`, `Ciclo.connect`) the only way in.
      'no-restricted-syntax': [
        'error',
        {
          selector:
            ':matches(PropertyDefinition, MethodDefinition[kind!="constructor"], TSParameterProperty)' +
            '[accessibility="private"]',
          message: 'Use a #private member instead of TypeScript `private` (one private-member style).',
        },
      ],
      // A leading underscore marks a binding left unused on purpose (a destructured field dropped from a copy,
      // a parameter an interface requires).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Off: Fastify plugins and the methods of async interfaces (OnlineStore, executors, trigger sources) are
      // `async` by contract even when one implementation has nothing to await; `return Promise.resolve(x)` would
      // only be noisier. Floating and misused promises, the bugs this rule hints at, are caught by their own rules.
      '@typescript-eslint/require-await': 'off',
      // Off: Kysely hands out its expression builder's functions destructured (`({ eb, fn, selectFrom }) => …`)
      // by design, and every report of this rule in the tree was such a callback or `expect(object.method)`.
      '@typescript-eslint/unbound-method': 'off',
      // A caught value is passed on as it came (after translating the errors we know), so it may be unknown.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    // The web UI runs in a browser: browser globals, React's rules of hooks, and nothing of Node's. It reaches the
    // server's code only for types (the dependency rules check that), so no server module is ever bundled.
    files: ['ui/src/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
    languageOptions: { globals: globals.browser },
    rules: {
      ...reactHooks.configs.flat.recommended.rules,
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*'], message: 'ui/ runs in a browser.' }] }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // Off in tests and benchmarks: they read HTTP answers and CLI output as untyped JSON on purpose, to see the
      // wire as a client does, and assert on its fields; typing each answer would repeat the routes' schemas.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
