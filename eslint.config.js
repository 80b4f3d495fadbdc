// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const everywherePatterns = [{ group: ['@helio/*/src/*'], message: 'import packages through their exports map' }];

// Core holds domain logic only: no drivers, transports or platform APIs.
const coreForbidden = [
  { name: 'pg', message: 'core receives a Db; drivers live in @helio/db' },
  { name: '@electric-sql/pglite', message: 'core receives a Db; drivers live in @helio/db' },
  { name: 'fastify', message: 'HTTP belongs in apps/server' },
  { name: 'mqtt', message: 'MQTT belongs in apps/server' },
  { name: 'aedes', message: 'MQTT belongs in apps/server' },
  { name: 'electron', message: 'Electron belongs in apps/desktop' },
  { name: 'node:fs', message: 'core does no I/O of its own; take a store as a parameter' },
  { name: 'node:http', message: 'HTTP belongs in apps/server' },
  { name: 'node:net', message: 'sockets belong in apps' },
];
const corePatterns = [
  { group: ['@trpc/server/adapters/*'], message: 'tRPC adapters are mounted by the apps' },
  { group: ['@helio/db/pglite', '@helio/db/postgres'], message: 'core receives a Db; it never picks a driver' },
  { group: ['@helio/db/data-dir-lock'], message: 'the data directory lock is for the apps, which open PGlite directories' },
  { group: ['@helio/server', '@helio/server/*'], message: 'dependencies point down: apps -> core -> db' },
  ...everywherePatterns,
];

// Core's domains depend one way (ARCHITECTURE.md, "Where a domain lives"),
// declared once, top to bottom: a domain may use the layers below its own,
// never those above. Domains of one layer may use each other (sites and
// portfolios do); test/architecture/import-cycles.test.ts keeps that from
// becoming a loop. Domains not listed (users, documents, auth, ...) are free.
const domainLayers = [['communities'], ['plants'], ['monitoring'], ['sites', 'portfolios'], ['organisations']];
const domainChain = domainLayers.map((layer) => layer.join('/')).join(' → ');

/** For each listed domain, the patterns that keep it off the domains above it. */
const domainBoundaries = domainLayers.flatMap((layer, depth) =>
  layer.map((domain) => ({
    domain,
    patterns: domainLayers
      .slice(0, depth)
      .flat()
      .map((above) => ({
        // `../plants/x.js` from the domain's folder, `../../plants/x.js` from a folder inside it.
        regex: String.raw`^(\.\./)+${above}(/|$)`,
        message: `${domain} may not use ${above}: core's domains depend one way, ${domainChain}`,
      })),
  })),
);

// Desktop: the renderer is a web page and knows the main process only by its
// types; the preload script is one bridge; shared code runs in all three.
const nodeOnly = [
  { group: ['node:*'], message: 'Node APIs stay in the Electron main process' },
  { group: ['electron'], message: 'the renderer reaches Electron only through window.helio (the preload bridge)' },
];
const rendererPatterns = [
  ...nodeOnly,
  {
    group: ['@helio/core', '@helio/db', '@helio/db/*', '@helio/server'],
    allowTypeImports: true,
    message: 'the renderer imports only types from core and db (`import type`)',
  },
  {
    group: ['../main/*', '../../main/*'],
    allowTypeImports: true,
    message: 'the renderer imports only types from the main process (`import type`)',
  },
  ...everywherePatterns,
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.helio-data/**', 'test/screenshots/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-imports': ['error', { patterns: everywherePatterns }],
    },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    ignores: ['packages/core/src/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: coreForbidden, patterns: corePatterns }] },
  },
  // A later no-restricted-imports replaces an earlier one for the same file,
  // so each domain's block repeats the lists above and adds its own patterns.
  ...domainBoundaries
    .filter(({ patterns }) => patterns.length > 0)
    .flatMap(({ domain, patterns }) => [
      {
        files: [`packages/core/src/${domain}/**/*.ts`],
        ignores: [`packages/core/src/${domain}/**/*.test.ts`],
        rules: { 'no-restricted-imports': ['error', { paths: coreForbidden, patterns: [...corePatterns, ...patterns] }] },
      },
      {
        files: [`packages/core/src/${domain}/**/*.test.ts`],
        rules: { 'no-restricted-imports': ['error', { patterns: [...everywherePatterns, ...patterns] }] },
      },
    ]),
  {
    files: ['packages/db/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@helio/core', '@helio/core/*', '@helio/server', '@helio/server/*'], message: 'db is the bottom layer' }] },
      ],
    },
  },
  {
    files: ['apps/desktop/src/renderer/**/*.{ts,tsx}', 'apps/desktop/src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: rendererPatterns }],
    },
  },
  {
    files: ['apps/desktop/src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', '@helio/*', '../main/*'], message: 'the preload script is one bridge: electron and ../shared only' },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/desktop/src/main/**/*.ts', 'apps/desktop/src/web-host*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../renderer/*', './renderer/*'], message: 'the main process never imports the renderer' },
            ...everywherePatterns,
          ],
        },
      ],
    },
  },
);
