import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { get } from 'node:http'
import { afterAll, beforeAll, describe, expect, it, inject as provided } from 'vitest'
import { testSecrets } from '../helpers/app'
import { cloneTemplate, testRedisUrl } from '../helpers/databases'
import { freePort, type RunningService, startService, waitForServiceOk } from '../helpers/process'

/** WEB_CONCURRENCY: `npm start` as several processes under a supervising primary. */

let database: Awaited<ReturnType<typeof cloneTemplate>>
const services: RunningService[] = []

beforeAll(async () => {
  database = await cloneTemplate(provided('templateDatabase'))
})
afterAll(async () => {
  for (const service of services) await service.stop()
  await database?.drop()
})

/** The service's processes: those whose parent is `pid` and that run the server (not tsx's esbuild). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        // The parent's pid is the field after the state, past the command's closing bracket.
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
        return (
          Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid &&
          readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('src/server.ts')
        )
      } catch {
        return false
      }
    })
    .map(Number)
}

function statusOnNewConnection(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode ?? 0))
    }).on('error', reject)
  })
}

async function startProcesses(name: string): Promise<RunningService> {
  const service = await startService(
    'src/server.ts',
    {
      NODE_ENV: 'test',
      WEB_CONCURRENCY: '2',
      DATABASE_URL: database.url,
      DATABASE_POOL_SIZE: '3',
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: `candor-cluster-${name}-${process.pid}`,
      DATA_DIR: `/tmp/candor-cluster-${name}-${process.pid}`,
      // Never reached: nothing here sends mail, but captured mail would stay in one process.
      MAIL_TRANSPORT: 'smtp',
      SMTP_URL: 'smtp://127.0.0.1:9',
      RATE_LIMIT_PUBLIC_PER_MINUTE: '4',
      LOG_LEVEL: 'warn',
      ...testSecrets(),
    },
    await freePort(),
  )
  services.push(service)
  // The service answers only once every process can.
  await waitForServiceOk(service, '/health/ready', 60_000)
  expect(childrenOf(service.child.pid!)).toHaveLength(2)
  return service
}

describe('several processes', () => {
  it('serves from WEB_CONCURRENCY processes that share the rate limits out between them, and stops them all on SIGTERM', async () => {
    const service = await startProcesses('serve')
    const processes = childrenOf(service.child.pid!)
    // Four a minute for the whole service, not four for each process: each request on a
    // connection of its own, which the primary hands to whichever process is free, in turn.
    const statuses: number[] = []
    for (let attempt = 0; attempt < 10; attempt++) {
      statuses.push(await statusOnNewConnection(`${service.baseUrl}/c/${'x'.repeat(43)}`))
    }
    const answered = statuses.filter((status) => status !== 429)
    expect(answered.length).toBeGreaterThanOrEqual(2)
    expect(answered.length).toBeLessThanOrEqual(4)

    expect(await service.stop()).toBe(0)
    for (const pid of processes) expect(existsSync(`/proc/${pid}`)).toBe(false)
  })

  it('stops the whole service (exit 1) when one of its processes dies, leaving none behind', async () => {
    const service = await startProcesses('dies')
    const [killed, other] = childrenOf(service.child.pid!)
    process.kill(killed!, 'SIGKILL')
    const code = await new Promise<number | null>((resolve) => service.child.once('exit', resolve))
    expect(code).toBe(1)
    await expect.poll(() => existsSync(`/proc/${other}`), { timeout: 20_000, interval: 50 }).toBe(false)
  })

  it('leaves no process serving on alone when the primary is killed', async () => {
    const service = await startProcesses('orphaned')
    const processes = childrenOf(service.child.pid!)
    service.child.kill('SIGKILL')
    await expect
      .poll(() => processes.every((pid) => !existsSync(`/proc/${pid}`)), { timeout: 20_000, interval: 50 })
      .toBe(true)
    expect(processes).toHaveLength(2)
  })
})
