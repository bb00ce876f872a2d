import { rawConsent } from './baselines/consent-raw'
import { rawMail } from './baselines/mail-raw'
import { rawSourcing } from './baselines/sourcing-insert'
import { rawIngest } from './baselines/webhook-raw'
import { seedCandidacies, seedSentMessages } from './bulk-seed'
import { compare, postgresCpuSeconds, type Subject } from './harness'
import type { BenchContext } from './run'
import { seedVacancy } from './seed'
import { startSink } from './smtp-sink'
import { accessPackageTiming, erasureTiming, recordsTiming, retentionTiming } from './timed'
import { eventBatch } from './webhook-events'

export interface BenchCase {
  name: string
  description: string
  run(context: BenchContext): Promise<void>
}

const CANDOR = 'src/server.ts'

const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 2)

/**
 * Candor as WEB_CONCURRENCY processes, one a core, holding as many database connections in all
 * as the single process and the baselines do. It needs a real mail transport (one never reached
 * where the case sends no mail).
 */
const inProcesses = (env: Record<string, string>): Record<string, string> => ({
  MAIL_TRANSPORT: 'smtp',
  SMTP_URL: 'smtp://127.0.0.1:9',
  ...env,
  WEB_CONCURRENCY: String(PROCESSES),
  DATABASE_POOL_SIZE: String(Math.max(1, Math.ceil(Number(env.DATABASE_POOL_SIZE ?? 10) / PROCESSES))),
})

/** Candor as one process and as WEB_CONCURRENCY processes: a subject of each. */
const candorVariants = (env: Record<string, string>) =>
  [
    ['Candor', env],
    [`Candor, ${PROCESSES} processes (WEB_CONCURRENCY)`, inProcesses(env)],
  ] as const

const candorSubjects = (
  env: Record<string, string>,
  subject: (name: string, env: Record<string, string>) => Subject,
): Subject[] => candorVariants(env).map(([name, variantEnv]) => subject(name, variantEnv))

const bareFastify = (context: BenchContext, path: string): Subject => ({
  name: 'bare Fastify',
  baseline: true,
  start: () => context.startProcess('scripts/bench/baselines/hello.ts', {}),
  request: (service) => ({ url: `${service.url}${path}` }),
})

export const benchCases: BenchCase[] = [
  {
    name: 'health',
    description: 'GET /health/live beside bare Fastify hello-world (the framework ceiling)',
    async run(context) {
      context.rows.push(
        ...(await compare('health', 'req/s', [
          bareFastify(context, '/health/live'),
          {
            name: 'Candor',
            start: () => context.startProcess(CANDOR, context.env),
            request: (service) => ({ url: `${service.url}/health/live` }),
          },
        ])),
      )
    },
  },
  {
    name: 'vacancy-read',
    description: 'authenticated GET /vacancies/:id beside bare Fastify and a minimal JWT + same-SQL server',
    async run(context) {
      const { vacancyId, token } = await seedVacancy(context)
      const headers = { authorization: `Bearer ${token}` }
      context.rows.push(
        ...(await compare('vacancy-read', 'req/s', [
          bareFastify(context, '/health/live'),
          {
            name: 'minimal JWT + postgres.js',
            baseline: true,
            start: () => context.startProcess('scripts/bench/baselines/vacancy-read.ts', context.env),
            request: (service) => ({ url: `${service.url}/vacancies/${vacancyId}`, headers }),
          },
          {
            name: 'Candor',
            start: () => context.startProcess(CANDOR, context.env),
            request: (service) => ({ url: `${service.url}/vacancies/${vacancyId}`, headers }),
          },
        ])),
      )
    },
  },
  {
    name: 'sourcing',
    description:
      'POST /vacancies/:id/candidacies with distinct people beside the same rows inserted with postgres.js',
    async run(context) {
      const { vacancyId, token, recruiter } = await seedVacancy(context)
      let counter = 0
      const body = () => {
        counter++
        const collectedAt = new Date(Date.now() - 86_400_000).toISOString()
        return JSON.stringify({
          person: {
            fullName: `Bench Person ${counter}`,
            emails: [`bench-${counter}-${process.pid}@bench.test`],
          },
          source: { type: 'linkedin', url: 'https://www.linkedin.com/in/bench', collectedAt },
          facts: [
            {
              kind: 'skill',
              value: 'TypeScript',
              source: { type: 'github', url: 'https://github.com/bench', collectedAt },
            },
          ],
        })
      }
      context.rows.push(
        ...(await compare('sourcing', 'candidates/s', [
          {
            name: 'raw postgres.js inserts, one transaction per candidate',
            baseline: true,
            measure: (warmUp) => rawSourcing(context.databaseUrl, vacancyId, recruiter.userId, warmUp),
          },
          ...candorSubjects(context.env, (name, env) => ({
            name,
            start: () => context.startProcess(CANDOR, env),
            request: (service) => ({
              url: `${service.url}/vacancies/${vacancyId}/candidacies`,
              requests: [
                {
                  method: 'POST',
                  path: `/vacancies/${vacancyId}/candidacies`,
                  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                  setupRequest: (request) => ({ ...request, body: body() }),
                },
              ],
            }),
          })),
        ])),
      )
    },
  },
  {
    name: 'consent',
    description: 'consent POSTs over distinct tokens beside the same database work with postgres.js',
    async run(context) {
      const { vacancyId, recruiter } = await seedVacancy(context, 'consent')
      // Enough distinct links for every measurement: each link is answered once (an answered one
      // is only read, which is cheaper). The Candor subjects take theirs from one list.
      const perSubject = Number(process.env.BENCH_CONSENT_LINKS ?? 200_000)
      const seed = (count: number) => ({
        vacancyId,
        userId: recruiter.userId,
        count,
        consentLinks: { serverSecret: context.env.SERVER_SECRET! },
      })
      const candorLinks = await seedCandidacies(
        context.databaseUrl,
        seed(perSubject * candorVariants(context.env).length),
      )
      const rawLinks = await seedCandidacies(context.databaseUrl, seed(perSubject))
      let next = 0
      context.rows.push(
        ...(await compare('consent', 'consents/s', [
          {
            name: 'raw postgres.js: lookup, lock, ledger append, update',
            baseline: true,
            measure: (warmUp) => rawConsent(context.databaseUrl, rawLinks, warmUp),
          },
          ...candorSubjects(context.env, (name, env) => ({
            name,
            start: () => context.startProcess(CANDOR, env),
            request: (service) => ({
              url: service.url,
              requests: [
                {
                  method: 'POST',
                  headers: { 'content-type': 'application/x-www-form-urlencoded' },
                  setupRequest: (request) => {
                    const link = candorLinks[next++ % candorLinks.length]!.consent!
                    return { ...request, path: `/c/${link.token}`, body: `choice=consent&form=${link.form}` }
                  },
                },
              ],
            }),
          })),
        ])),
      )
      if (next > candorLinks.length)
        process.stdout.write(`  (consent: ${next} requests reused links; raise BENCH_CONSENT_LINKS)\n`)
    },
  },
  {
    name: 'mail',
    description:
      'mails/s through API → queue → worker → local SMTP sink beside raw pooled nodemailer to the same sink',
    async run(context) {
      const { vacancyId, token, recruiter } = await seedVacancy(context)
      const perRound = Number(process.env.BENCH_MAILS ?? 2000)
      const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
      // A service sends for days; what it costs once its JIT has compiled the mail path is what
      // counts. 300 mails measured the compiling: CPU per mail fell from 6.2 ms to 3.5 ms
      // between 300 and 3,000 mails of warm-up (2026-12-05).
      const warmUp = Number(process.env.BENCH_MAIL_WARM_UP ?? 3000)
      // Each round's share: its warm-up mails, then the measured ones.
      const candidacies = await seedCandidacies(context.databaseUrl, {
        vacancyId,
        userId: recruiter.userId,
        // Each Candor subject's share.
        count: (perRound + warmUp) * rounds * candorVariants(context.env).length,
      })
      const sink = await startSink()
      const env = {
        ...context.env,
        RUN_WORKERS: 'true',
        MAIL_TRANSPORT: 'smtp',
        SMTP_URL: sink.url,
        MAIL_RATE_PER_SECOND: '100000',
        MAIL_CONCURRENCY: '50',
      }
      // About the size of a rendered Art. 14 notice.
      const body = 'Candor benchmark mail. '.repeat(180)
      /** Posts one outreach per candidacy, 50 at a time, and waits until the sink has them all. */
      const mailThrough = async (url: string, batch: typeof candidacies): Promise<number> => {
        const before = sink.count()
        let next = 0
        let failures = 0
        await Promise.all(
          Array.from({ length: 50 }, async () => {
            for (let item = batch[next++]; item; item = batch[next++]) {
              const response = await fetch(`${url}/candidacies/${item.candidacyId}/outreach`, {
                method: 'POST',
                headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                body: JSON.stringify({ template: 'art14_notice' }),
              })
              if (response.status !== 202) failures++
              await response.arrayBuffer()
            }
          }),
        )
        const deadline = Date.now() + 300_000
        while (sink.count() - before < batch.length - failures && Date.now() < deadline) {
          await new Promise((done) => setTimeout(done, 20))
        }
        return failures
      }
      let round = 0
      try {
        context.rows.push(
          ...(await compare('mail', 'mails/s', [
            {
              name: 'raw pooled nodemailer',
              baseline: true,
              // The same warm-up, once: the baseline runs in this process, which stays up.
              measure: async (first) => {
                if (first) await rawMail(sink.url, warmUp, body)
                return rawMail(sink.url, perRound, body)
              },
            },
            ...candorSubjects(env, (name, env) => ({
              name: name.replace('Candor', 'Candor (API → BullMQ → worker → SMTP)'),
              measure: async () => {
                const start = round++ * (warmUp + perRound)
                const warm = candidacies.slice(start, start + warmUp)
                const batch = candidacies.slice(start + warmUp, start + warmUp + perRound)
                const candor = await context.startProcess(CANDOR, env)
                // Like every other case, a warm-up first: the JIT and the pools settle unmeasured.
                await mailThrough(candor.url, warm)
                const before = sink.count()
                const cpuBefore = candor.cpuSeconds()
                const postgresBefore = postgresCpuSeconds()
                const started = performance.now()
                const failures = await mailThrough(candor.url, batch)
                const seconds = (performance.now() - started) / 1000
                const cpuSeconds = candor.cpuSeconds() - cpuBefore
                const postgresCpu = postgresCpuSeconds() - postgresBefore
                await candor.stop()
                const delivered = sink.count() - before
                return {
                  rate: delivered / seconds,
                  failures: failures + (batch.length - delivered),
                  operations: delivered,
                  cpuSeconds,
                  // The measured mails only, not the process's start and warm-up.
                  postgresCpuSeconds: postgresCpu,
                }
              },
            })),
          ])),
        )
      } finally {
        await sink.stop()
      }
    },
  },
  {
    name: 'webhook',
    description: 'SparkPost batches of 1,000 events over HTTP beside one raw multi-row INSERT per batch',
    async run(context) {
      const { vacancyId, recruiter } = await seedVacancy(context)
      const candidacies = await seedCandidacies(context.databaseUrl, {
        vacancyId,
        userId: recruiter.userId,
        count: 2000,
      })
      const messageIds = await seedSentMessages(context.databaseUrl, candidacies)
      const auth = 'Bearer bench-webhook-token'
      const connections = 4
      context.rows.push(
        ...(await compare('webhook', 'events/s', [
          {
            name: 'raw postgres.js multi-row INSERT',
            baseline: true,
            measure: (warmUp) => rawIngest(context.databaseUrl, messageIds, warmUp, connections),
          },
          {
            name: 'Candor',
            start: () => context.startProcess(CANDOR, { ...context.env, SPARKPOST_WEBHOOK_AUTH: auth }),
            request: (service) => ({
              url: `${service.url}/webhooks/sparkpost`,
              connections,
              requests: [
                {
                  method: 'POST',
                  headers: { authorization: auth, 'content-type': 'application/json' },
                  setupRequest: (request) => ({ ...request, body: JSON.stringify(eventBatch(messageIds)) }),
                },
              ],
            }),
            scale: 1000,
          },
        ])),
      )
    },
  },
  {
    name: 'access-package',
    description: 'building the access package of a person with 10,000 ledger and provider events',
    run: async (context) => {
      context.timings.push(await accessPackageTiming(context))
    },
  },
  {
    name: 'erasure',
    description: 'erasing 1,000 people',
    run: async (context) => {
      context.timings.push(await erasureTiming(context))
    },
  },
  {
    name: 'retention',
    description: 'the retention run over 100,000 candidacies of which 10% are due',
    run: async (context) => {
      context.timings.push(await retentionTiming(context))
    },
  },
  {
    name: 'records',
    description: 'the records of processing for 1,000 vacancies',
    run: async (context) => {
      context.timings.push(await recordsTiming(context))
    },
  },
]
