import cluster, { type Worker } from 'node:cluster'
import pino from 'pino'
import type { Config } from './config'

/** What the primary and its processes tell each other (over the cluster's IPC channel). */
export const processMessages = {
  /** process → primary: the app is built (migrations applied), ready to listen. */
  built: 'candor:built',
  /** primary → process: every process is built; listen. */
  listen: 'candor:listen',
  /** primary → process: close gracefully and exit. */
  shutdown: 'candor:shutdown',
} as const

/**
 * WEB_CONCURRENCY > 1: the primary only supervises; each process it forks serves the API on the
 * shared port (node:cluster hands out connections) and runs the workers. The first process builds
 * alone, so it alone applies the migrations; the others build once it is done, and all listen
 * together: the service answers only when every process can. A process that dies stops the whole
 * service (exit 1), so no half-running service is left for an orchestrator to take for a healthy
 * one. SIGTERM or SIGINT stops every process gracefully, then the primary exits 0.
 */
export async function superviseProcesses(config: Config, redisUrl: string): Promise<void> {
  const log = pino({ level: config.LOG_LEVEL, base: { pid: process.pid, role: 'primary' } })
  let stopping = false
  let exitCode = 0
  const workers = new Set<Worker>()

  const stop = (code: number) => {
    if (stopping) return
    stopping = true
    exitCode = code
    if (workers.size === 0) process.exit(code)
    for (const worker of workers) if (worker.isConnected()) worker.send(processMessages.shutdown)
    // The processes' own grace period (close-with-grace) is 15 s; past it, nothing is left to wait for.
    setTimeout(() => {
      for (const worker of workers) worker.process.kill('SIGKILL')
      process.exit(1)
    }, 20_000).unref()
  }

  /** Forks a process; resolves once it is built (or gone). */
  const fork = () =>
    new Promise<Worker>((resolve) => {
      const worker = cluster.fork({ REDIS_URL: redisUrl })
      workers.add(worker)
      worker.on('message', (message) => {
        if (message !== processMessages.built) return
        // A shutdown sent while it was still loading found no listener: it is told again.
        if (stopping) worker.send(processMessages.shutdown)
        resolve(worker)
      })
      worker.once('exit', (code, signal) => {
        workers.delete(worker)
        if (!stopping) {
          log.error({ worker: worker.process.pid, code, signal }, 'a process stopped; stopping the service')
          stop(1)
        }
        if (workers.size === 0) process.exit(exitCode)
        resolve(worker)
      })
    })

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      log.info({ signal }, 'shutting down')
      stop(0)
    })
  }

  await fork()
  await Promise.all(Array.from({ length: config.WEB_CONCURRENCY - 1 }, fork))
  if (stopping) return
  await Promise.all(
    [...workers].map(
      (worker) =>
        new Promise<void>((resolve) => {
          worker.once('listening', () => resolve())
          worker.once('exit', () => resolve())
          worker.send(processMessages.listen)
        }),
    ),
  )
  if (!stopping) {
    log.info({ processes: workers.size, docs: `${config.publicBaseUrl}/docs` }, 'Candor is ready')
  }
}
