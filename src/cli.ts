import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { loadDotEnv, withDevelopmentSecrets } from './bootstrap'
import { loadConfig, type ResolvedConfig } from './config'
import { createDatabase, type DatabaseHandle } from './db/client'
import { migrateDatabase } from './db/migrate'
import { type Clock, systemClock } from './lib/clock'
import { exitWith, StartupError } from './lib/exit'
import { parseKeyring } from './lib/field-crypto'
import { AppError } from './lib/problems'
import { createTemplates } from './lib/templates'
import { createUser } from './modules/auth/auth.service'
import { roles } from './modules/auth/auth.tables'
import { verifyLedger } from './modules/ledger/ledger.service'
import { rotateIdentifierKeys } from './modules/people/people.service'
import { buildRecords, recordsCsv, recordsHtml } from './modules/records/records.service'
import { runRetention } from './modules/retention/retention.service'
import type { Services } from './services'

/** Admin and DPO commands: `npm run cli -- <command> [--flags]`. */
interface CommandContext {
  config: ResolvedConfig
  database: DatabaseHandle
  /** The wall clock, unless the caller of runCli injected one (tests move it instead of waiting for a date). */
  clock: Clock
  flags: Record<string, string | boolean | undefined>
  print: (line: string) => void
  /** Commands run without Redis: jobs to remove are ignored (the worker's check before sending cancels them). */
  redisFree: Services['queues']
}

interface Command {
  summary: string
  usage: string
  flags: Record<string, { type: 'string' | 'boolean' }>
  run: (context: CommandContext) => Promise<void>
}

const commands: Record<string, Command> = {
  'db:migrate': {
    summary: 'apply pending database migrations',
    usage: 'db:migrate',
    flags: {},
    run: async ({ print }) => print('migrations applied'),
  },
  'user:create': {
    summary: 'create a user (the first admin too)',
    usage:
      'user:create --email E --password P --role admin|recruiter|dpo|client [--client CLIENT_ID] [--name NAME]',
    flags: {
      email: { type: 'string' },
      password: { type: 'string' },
      role: { type: 'string' },
      client: { type: 'string' },
      name: { type: 'string' },
    },
    run: async ({ clock, database, flags, print }) => {
      const input = z
        .object({
          email: z.email(),
          password: z.string().min(12, 'at least 12 characters'),
          role: z.enum(roles),
          client: z.uuid().optional(),
          name: z.string().min(1).optional(),
        })
        .parse(flags)
      const user = await createUser(
        { db: database.db, clock },
        {
          email: input.email,
          password: input.password,
          role: input.role,
          clientId: input.client,
          displayName: input.name ?? input.email.split('@')[0]!,
        },
      )
      print(`created ${user.role} ${user.id}`)
    },
  },
  'keys:rotate': {
    summary: 're-encrypt high-risk identifiers under the newest FIELD_ENCRYPTION_KEYS key',
    usage: 'keys:rotate',
    flags: {},
    run: async ({ config, database, print }) => {
      const keyring = parseKeyring(config.FIELD_ENCRYPTION_KEYS)
      const { rotated } = await rotateIdentifierKeys(database.db, keyring)
      print(`re-encrypted ${rotated} identifiers under key ${keyring.currentKeyId}`)
    },
  },
  'ledger:verify': {
    summary: 'walk every ledger chain and report the first broken link of each',
    usage: 'ledger:verify',
    flags: {},
    run: async ({ database, print }) => {
      const result = await verifyLedger(database.db)
      print(`${result.chains} chains, ${result.events} events: ${result.valid ? 'valid' : 'BROKEN'}`)
      for (const broken of result.breaks)
        print(`  candidacy ${broken.candidacyId}: event ${broken.seq} ${broken.reason}`)
      if (!result.valid) process.exitCode = 2
    },
  },
  'retention:run': {
    summary:
      'erase what may no longer be kept (the daily job, run now); --dry-run lists what would go and why',
    usage: 'retention:run [--dry-run]',
    flags: { 'dry-run': { type: 'boolean' } },
    run: async ({ clock, database, flags, print, redisFree }) => {
      const dryRun = Boolean(flags['dry-run'])
      const result = await runRetention({ db: database.db, clock, queues: redisFree }, { dryRun })
      for (const item of result.plan) {
        const what = item.wholePerson
          ? 'person and all candidacies'
          : `${item.candidacies.length} candidacy(ies)`
        const kept = item.keptBecause ? ` — kept: ${item.keptBecause.replace('_', ' ')}` : ''
        print(
          `${dryRun ? 'would erase' : 'erased'} ${what} of person ${item.personId}: ${item.candidacies.map((c) => `${c.candidacyId} (${c.reason})`).join(', ')}${kept}`,
        )
      }
      print(
        dryRun
          ? `${result.plan.length} people affected; nothing changed (dry run)`
          : `erased ${result.erasedPeople} people and ${result.erasedCandidacies} candidacies`,
      )
    },
  },
  'records:export': {
    summary: 'the records of processing (Art. 30) from live data, as CSV, HTML or JSON',
    usage: 'records:export --format csv|html|json [--out FILE]',
    flags: { format: { type: 'string' }, out: { type: 'string' } },
    run: async ({ clock, config, database, flags, print }) => {
      const format = z.enum(['csv', 'html', 'json']).parse(flags.format ?? 'csv')
      const services = { config, templates: createTemplates() }
      const record = await buildRecords(services, database.db, clock.now())
      const output =
        format === 'csv'
          ? recordsCsv(record)
          : format === 'html'
            ? recordsHtml(services, record)
            : JSON.stringify(record, null, 2)
      if (typeof flags.out === 'string') {
        writeFileSync(flags.out, output)
        print(`wrote ${record.purposes.length} purposes to ${flags.out}`)
      } else {
        process.stdout.write(output)
      }
    },
  },
}

/** Queue stand-in for commands: removing a job is best-effort anyway (see removeCancelledJobs). */
const noQueues = new Proxy({} as Services['queues'], {
  get: () => ({ remove: async () => 0 }),
})

function help(): string {
  const lines = Object.entries(commands).map(
    ([name, command]) => `  ${name.padEnd(16)} ${command.summary}\n      ${command.usage}`,
  )
  return `Usage: npm run cli -- <command> [flags]\n\nCommands:\n${lines.join('\n')}\n`
}

/**
 * Runs one command. `options.clock` is for callers in the same process (tests): the command line
 * itself always runs on the wall clock, so no environment variable can move time in production.
 */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  options: { clock?: Clock } = {},
): Promise<void> {
  const [name, ...rest] = argv
  const command = name ? commands[name] : undefined
  if (!command) {
    process.stdout.write(help())
    if (name && name !== 'help' && name !== '--help') throw new StartupError(`unknown command: ${name}`)
    return
  }
  const { values } = parseArgs({ args: rest, options: command.flags, strict: true })
  const config = withDevelopmentSecrets(loadConfig(env))
  const database = await createDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 2 })
  try {
    await migrateDatabase(database)
    await command.run({
      config,
      database,
      clock: options.clock ?? systemClock,
      flags: values,
      print: (line) => process.stdout.write(`${line}\n`),
      redisFree: noQueues,
    })
  } finally {
    await database.close()
  }
}

function explain(error: unknown): unknown {
  if (error instanceof z.ZodError) {
    return new StartupError(
      error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('\n'),
    )
  }
  if (error instanceof AppError) return new StartupError(`${error.code}: ${error.message}`)
  if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
    return new StartupError(error.message)
  }
  return error
}

if (import.meta.url === `file://${process.argv[1]}`) {
  loadDotEnv()
  runCli(process.argv.slice(2)).catch((error) => exitWith(explain(error)))
}
