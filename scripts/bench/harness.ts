/**
 * Benchmark plumbing: start a process, load it with autocannon, compare with a baseline measured
 * in the same run on the same machine. Numbers are ratios, never assertions: machines are shared.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import autocannon from 'autocannon'
import { rawPostgres } from './sql'

export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
/** PostgreSQL connections of Candor's pool and of each baseline's: both subjects get the same. */
export const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 10)
export const DURATION_SECONDS = Number(process.env.BENCH_DURATION ?? 10)
export const ADMIN_DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'

export interface LoadResult {
  /** Operations per second (requests, or the case's own unit). */
  rate: number
  p99Ms?: number
  /** Errors and non-2xx answers: a fast wrong answer is not a result. */
  failures: number
  /** Operations measured (for CPU per operation). */
  operations?: number
  /** CPU seconds of the subject's own process over the measurement, where the subject knows it. */
  cpuSeconds?: number
  /** PostgreSQL's CPU seconds over the measurement, where the subject measures a part of its run. */
  postgresCpuSeconds?: number
}

/** CPU milliseconds per operation, steadier than a rate on a shared machine. */
export interface CpuCost {
  /** The subject's process: Candor, or the bench process running a raw baseline's client. */
  processMs?: number
  /** Every PostgreSQL process of the machine (backends, WAL writer, autovacuum). */
  postgresMs?: number
}

export interface Row {
  benchCase: string
  subject: string
  unit: string
  result: LoadResult
  cpu: CpuCost
  baseline?: boolean
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

export interface Service {
  url: string
  /** CPU seconds (user + system) the process has used so far. */
  cpuSeconds(): number
  stop(): Promise<void>
}

const TICKS_PER_SECOND = 100

/** user + system time from /proc/<pid>/stat, with that of waited-for children if asked. */
function cpuSecondsOf(stat: string, withChildren = false): number {
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number)
  const children = withChildren ? fields[13]! + fields[14]! : 0
  return (fields[11]! + fields[12]! + children) / TICKS_PER_SECOND
}

/** The process's CPU seconds and its live children's (the processes of WEB_CONCURRENCY). */
function processCpuSeconds(pid: number): number {
  let seconds = cpuSecondsOf(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) seconds += cpuSecondsOf(stat)
    } catch {}
  }
  return seconds
}

/**
 * CPU seconds of every PostgreSQL process on the machine (the benchmarks expect nothing else to
 * load it): the live ones, and through the postmaster's children's times the backends that
 * exited (a baseline closes its connections before its measurement ends).
 */
export function postgresCpuSeconds(): number {
  let seconds = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (!stat.includes('(postgres)')) continue
      // The postmaster is the postgres process whose parent is not one.
      const parent = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]
      const postmaster = !readFileSync(`/proc/${parent}/stat`, 'utf8').includes('(postgres)')
      seconds += cpuSecondsOf(stat, postmaster)
    } catch {}
  }
  return seconds
}

const ownCpuSeconds = () => {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1e6
}

/** Runs a TypeScript entry point in its own process (so the load generator does not share its event loop). */
export async function startProcess(
  entry: string,
  env: Record<string, string>,
  readyPath = '/health/live',
): Promise<Service> {
  const port = await freePort()
  // BENCH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=prof") profiles the processes under load.
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean)
  const child: ChildProcess = spawn(process.execPath, [...flags, '--import', 'tsx', entry], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  const started = Date.now()
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}`)
    try {
      if ((await fetch(url + readyPath)).ok) break
    } catch {}
    if (Date.now() - started > 60_000) throw new Error(`${entry} did not start`)
    await new Promise((done) => setTimeout(done, 200))
  }
  return {
    url,
    cpuSeconds: () => processCpuSeconds(child.pid!),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

export async function load(options: autocannon.Options, warmUp = true): Promise<LoadResult> {
  // A short warm-up lets the JIT and the connection pools settle before measuring.
  if (warmUp)
    await autocannon({ connections: CONNECTIONS, ...options, duration: Math.min(3, DURATION_SECONDS) })
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION_SECONDS, ...options })
  return {
    rate: result.requests.average,
    p99Ms: result.latency.p99,
    failures: result.errors + result.non2xx,
    operations: result.requests.total,
  }
}

/** Something measured: an HTTP service under autocannon load, or a measurement of its own (`measure`). */
export type Subject =
  | {
      name: string
      baseline?: boolean
      start(): Promise<Service>
      request(service: Service): autocannon.Options
      /** Operations per request (1,000 events per webhook batch). */
      scale?: number
    }
  | { name: string; baseline?: boolean; measure(warmUp: boolean): Promise<LoadResult> }

const scaled = (result: LoadResult, factor: number): LoadResult => ({
  ...result,
  rate: result.rate * factor,
  ...(result.operations === undefined ? {} : { operations: result.operations * factor }),
})

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/**
 * Measures every subject ROUNDS times, interleaved (A B C A B C …), and keeps the median of each:
 * on a shared 2-core machine a single run can be off by a third. CPU per operation is taken
 * from the rounds after the first (whose warm-up would count), unless there is only one.
 */
export async function compare(benchCase: string, unit: string, subjects: Subject[]): Promise<Row[]> {
  const services: Array<Service | undefined> = []
  for (const subject of subjects) services.push('start' in subject ? await subject.start() : undefined)
  const results: LoadResult[][] = subjects.map(() => [])
  const costs: CpuCost[][] = subjects.map(() => [])
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [index, subject] of subjects.entries()) {
        const warmUp = round === 0
        const service = services[index]
        const own = () => (service ? service.cpuSeconds() : ownCpuSeconds())
        const before = { own: own(), postgres: postgresCpuSeconds() }
        const result =
          'measure' in subject
            ? await subject.measure(warmUp)
            : scaled(await load(subject.request(service!), warmUp), subject.scale ?? 1)
        results[index]!.push(result)
        if ((warmUp && ROUNDS > 1) || !result.operations) continue
        const perOperation = (seconds: number) => (seconds * 1000) / result.operations!
        costs[index]!.push({
          processMs: perOperation(result.cpuSeconds ?? own() - before.own),
          postgresMs: perOperation(result.postgresCpuSeconds ?? postgresCpuSeconds() - before.postgres),
        })
      }
    }
  } finally {
    await Promise.all(services.map((service) => service?.stop()))
  }
  const medianOf = (values: Array<number | undefined>) => {
    const known = values.filter((value) => value !== undefined)
    return known.length > 0 ? median(known) : undefined
  }
  return subjects.map((subject, index) => ({
    benchCase,
    subject: subject.name,
    unit,
    baseline: subject.baseline,
    result: {
      rate: median(results[index]!.map((result) => result.rate)),
      // A measurement of its own may report no latency (the mail pipeline): leave the column blank.
      ...(results[index]!.some((result) => result.p99Ms !== undefined)
        ? { p99Ms: medianOf(results[index]!.map((result) => result.p99Ms))! }
        : {}),
      failures: results[index]!.reduce((sum, result) => sum + result.failures, 0),
    },
    cpu: {
      processMs: medianOf(costs[index]!.map((cost) => cost.processMs)),
      postgresMs: medianOf(costs[index]!.map((cost) => cost.postgresMs)),
    },
  }))
}

/**
 * Runs `work` from `concurrency` loops for `seconds` and reports operations per second and p99:
 * the baseline for cases whose minimal form is not an HTTP server (e.g. raw inserts).
 */
export async function measureLoop(
  work: (i: number) => Promise<unknown>,
  { seconds = DURATION_SECONDS, concurrency = CONNECTIONS } = {},
): Promise<LoadResult> {
  const latencies: number[] = []
  let failures = 0
  let next = 0
  const started = performance.now()
  const deadline = started + seconds * 1000
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const begin = performance.now()
        try {
          await work(next++)
          latencies.push(performance.now() - begin)
        } catch {
          failures++
        }
      }
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  return {
    rate: latencies.length / elapsed,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
    failures,
    operations: latencies.length,
  }
}

/** A database of its own for the run, built by the real migrations. */
export async function benchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `candor_bench_${randomBytes(4).toString('hex')}`
  const admin = rawPostgres(ADMIN_DATABASE_URL, { max: 1 })
  await admin.unsafe(`create database "${name}"`)
  await admin.end()
  const url = new URL(ADMIN_DATABASE_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const cleanup = rawPostgres(ADMIN_DATABASE_URL, { max: 1 })
      await cleanup.unsafe(`drop database if exists "${name}" with (force)`)
      await cleanup.end()
    },
  }
}

const format = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

/** Candor's rows with their ratio to each baseline of the same case. */
export function printTable(rows: Row[]): void {
  const lines = [
    '| case | subject | rate | p99 ms | failures | vs baselines | CPU ms/op: process | PostgreSQL |',
    '|---|---|---:|---:|---:|---|---:|---:|',
  ]
  const cpu = (ms: number | undefined) => (ms === undefined ? '' : format(ms, 3))
  for (const row of rows) {
    const ratios = row.baseline
      ? 'baseline'
      : rows
          .filter((other) => other.baseline && other.benchCase === row.benchCase)
          .map((other) => `${format((row.result.rate / other.result.rate) * 100, 1)}% of ${other.subject}`)
          .join('; ')
    const p99 = row.result.p99Ms === undefined ? '' : format(row.result.p99Ms, 1)
    lines.push(
      `| ${row.benchCase} | ${row.subject} | ${format(row.result.rate)} ${row.unit} | ${p99} | ${row.result.failures} | ${ratios} | ${cpu(row.cpu.processMs)} | ${cpu(row.cpu.postgresMs)} |`,
    )
  }
  process.stdout.write(`\n${lines.join('\n')}\n\n`)
}
