import { type ChildProcess, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { expect, vi } from 'vitest'

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

export interface RunningService {
  child: ChildProcess
  baseUrl: string
  output: () => string
  /** Sends SIGTERM and resolves with the exit code. */
  stop: () => Promise<number | null>
}

/**
 * Starts an entry point (src/server.ts) as its own process, the way `npm start` does: only PATH,
 * HOME, PORT, HOST and `env` reach it. `cwd` runs it from another working directory (relative
 * defaults such as DATA_DIR=./data and `.env` are then read there); the entry and tsx are
 * resolved from this project either way.
 */
export async function startService(
  entry: string,
  env: Record<string, string>,
  port: number,
  options: { cwd?: string } = {},
): Promise<RunningService> {
  const { PATH, HOME } = process.env
  const tsx = options.cwd ? pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href : 'tsx'
  const child = spawn(process.execPath, ['--import', tsx, options.cwd ? resolve(entry) : entry], {
    env: { PATH: PATH ?? '', HOME: HOME ?? '', PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    child,
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}

/**
 * Polls `path` on a started service until it answers 200; fails at once, with what the process
 * printed, if it exits first or the time is up. Returns how long it took.
 */
export async function waitForServiceOk(
  service: RunningService,
  path: string,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now()
  let outcome: 'ok' | 'exited'
  try {
    outcome = await vi.waitFor(
      async () => {
        // A process that is gone stops the polling, so that the failure comes at once.
        if (service.child.exitCode !== null || service.child.signalCode !== null) return 'exited' as const
        const response = await fetch(`${service.baseUrl}${path}`)
        expect(response.status).toBe(200)
        return 'ok' as const
      },
      { timeout: timeoutMs, interval: 200 },
    )
  } catch (error) {
    throw new Error(`${path} did not answer 200 within ${timeoutMs} ms:\n${service.output()}`, {
      cause: error,
    })
  }
  if (outcome === 'exited')
    throw new Error(
      `the service exited (${service.child.exitCode ?? service.child.signalCode}):\n${service.output()}`,
    )
  return Date.now() - started
}
