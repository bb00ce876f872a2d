/**
 * Benchmark plumbing: start a process, load it with autocannon, compare with a baseline measured
 * in the same run on the same machine. Numbers are ratios, never assertions: machines are shared.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
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
}

export interface Row {
  benchCase: string
  subject: string
  unit: string
  result: LoadResult
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
  stop(): Promise<void>
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
    stop: () =>
      new Promise((resolve) => {
        // BENCH_CPU=1: the process's CPU seconds (user + system), steadier than a rate on a shared machine.
        if (process.env.BENCH_CPU && child.pid) {
          const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
          const seconds = (Number(fields[11]) + Number(fields[12])) / 100
          process.stdout.write(`  (${entry}: ${seconds.toFixed(2)} s of CPU)\n`)
        }
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
  return { rate: result.requests.average, p99Ms: result.latency.p99, failures: result.errors + result.non2xx }
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

const scaled = (result: LoadResult, factor: number): LoadResult => ({ ...result, rate: result.rate * factor })

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/**
 * Measures every subject ROUNDS times, interleaved (A B C A B C …), and keeps the median of each:
 * on a shared 2-core machine a single run can be off by a third.
 */
export async function compare(benchCase: string, unit: string, subjects: Subject[]): Promise<Row[]> {
  const services: Array<Service | undefined> = []
  for (const subject of subjects) services.push('start' in subject ? await subject.start() : undefined)
  const results: LoadResult[][] = subjects.map(() => [])
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [index, subject] of subjects.entries()) {
        const warmUp = round === 0
        results[index]!.push(
          'measure' in subject
            ? await subject.measure(warmUp)
            : scaled(await load(subject.request(services[index]!), warmUp), subject.scale ?? 1),
        )
      }
    }
  } finally {
    await Promise.all(services.map((service) => service?.stop()))
  }
  return subjects.map((subject, index) => ({
    benchCase,
    subject: subject.name,
    unit,
    baseline: subject.baseline,
    result: {
      rate: median(results[index]!.map((result) => result.rate)),
      p99Ms: median(results[index]!.map((result) => result.p99Ms ?? 0)),
      failures: results[index]!.reduce((sum, result) => sum + result.failures, 0),
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
    '| case | subject | rate | p99 ms | failures | vs baselines |',
    '|---|---|---:|---:|---:|---|',
  ]
  for (const row of rows) {
    const ratios = row.baseline
      ? 'baseline'
      : rows
          .filter((other) => other.baseline && other.benchCase === row.benchCase)
          .map((other) => `${format((row.result.rate / other.result.rate) * 100, 1)}% of ${other.subject}`)
          .join('; ')
    const p99 = row.result.p99Ms === undefined ? '' : format(row.result.p99Ms, 1)
    lines.push(
      `| ${row.benchCase} | ${row.subject} | ${format(row.result.rate)} ${row.unit} | ${p99} | ${row.result.failures} | ${ratios} |`,
    )
  }
  process.stdout.write(`\n${lines.join('\n')}\n\n`)
}
