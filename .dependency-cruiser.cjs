/**
 * How modules may depend on each other (`npm test` checks it: test/architecture.test.ts).
 * A module is a folder under src/modules. The tables (`*.tables.ts`) are the schema: one layer
 * every module's repository may join, and whose types and enum values anyone may name.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A file must not depend on itself through others: split the shared part out. (Tables may: foreign keys point both ways.)',
      from: { path: '^src/', pathNot: '[.]tables[.]ts$' },
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'through-the-service',
      severity: 'error',
      comment: "A module uses another through its service, never through the other's repository.",
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/[^/]+/.+[.]repository[.]ts$', pathNot: '^src/modules/$1/' },
    },
    {
      name: 'routes-parse-and-authorise',
      severity: 'error',
      comment: 'Routes, pages and jobs call services, which own the rules and the transactions.',
      from: { path: '[.](routes|pages|jobs)[.]ts$' },
      to: { path: '[.]repository[.]ts$' },
    },
    {
      name: 'tables-in-the-data-layer',
      severity: 'error',
      comment:
        "Only repositories (and the schema itself) touch another module's tables; others may name their types.",
      from: {
        path: '^src/modules/([^/]+)/',
        pathNot: '[.](repository|tables|schemas)[.]ts$',
      },
      to: {
        path: '^src/modules/[^/]+/.+[.]tables[.]ts$',
        pathNot: '^src/modules/$1/',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'A source file nothing imports is dead code (entry points excepted).',
      from: {
        orphan: true,
        path: '^src/',
        pathNot: '^src/(server|worker|cli|cluster)[.]ts$|[.]d[.]ts$|^src/plugins/mail-thread[.]mjs$',
      },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
}
