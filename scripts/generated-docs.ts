/**
 * Documents generated from their one source of truth: `.env.example` from the config schema,
 * docs/problems.md from the problem catalogue, README's configuration table from the schema. `npm run docs` writes them; a test fails when they drift.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { configSchema } from '../src/config'
import { problemCatalogue, problemType } from '../src/lib/problems'

export function envExample(): string {
  const lines = ['# Candor configuration: every key, its meaning and its default. Copy to .env to use.', '']
  for (const [key, schema] of Object.entries(configSchema.shape)) {
    const parsed = schema.safeParse(undefined)
    const fallback = parsed.success && parsed.data !== undefined ? String(parsed.data) : ''
    if (schema.description) lines.push(`# ${schema.description}`)
    lines.push(`# ${key}=${fallback}`, '')
  }
  return lines.join('\n')
}

/** The configuration table in README.md, between its config markers. */
export function configTable(): string {
  const rows = Object.entries(configSchema.shape).map(([key, schema]) => {
    const parsed = schema.safeParse(undefined)
    const fallback = parsed.success && parsed.data !== undefined ? `\`${String(parsed.data)}\`` : ''
    return `| \`${key}\` | ${fallback} | ${(schema.description ?? '').replaceAll('|', '\\|')} |`
  })
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n')
}

const CONFIG_START = '<!-- config:start (npm run docs) -->'
const CONFIG_END = '<!-- config:end -->'

export function readmeWithConfig(readme: string): string {
  const start = readme.indexOf(CONFIG_START)
  const end = readme.indexOf(CONFIG_END)
  if (start < 0 || end < start) throw new Error('README.md has no config markers')
  return `${readme.slice(0, start + CONFIG_START.length)}\n${configTable()}\n${readme.slice(end)}`
}

export function problemsDoc(): string {
  const rows = Object.entries(problemCatalogue).map(
    ([code, entry]) =>
      `| \`${code}\` | ${entry.status} | \`${problemType(code as keyof typeof problemCatalogue)}\` | ${entry.title} |`,
  )
  return [
    '# Problem types',
    '',
    'Every error response is an RFC 9457 `application/problem+json` document:',
    '`{ type, title, status, code, detail?, instance?, errors? }`. `code` is stable and dotted; `type` is its URI.',
    'Validation problems list `errors: [{ field, message }]` with the field as `body.x`, `params.id` or `querystring.y`.',
    'This file is generated from `src/lib/problems.ts` (`npm run docs`).',
    '',
    '| code | status | type | title |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync('.env.example', envExample())
  writeFileSync('docs/problems.md', problemsDoc())
  writeFileSync('README.md', readmeWithConfig(readFileSync('README.md', 'utf8')))
}
