import { rawConsent } from './baselines/consent-raw'
import { rawSourcing } from './baselines/sourcing-insert'
import { seedConsentLinks } from './consent-seed'
import { compare, type Subject } from './harness'
import type { BenchContext } from './run'
import { seedVacancy } from './seed'

export interface BenchCase {
  name: string
  description: string
  run(context: BenchContext): Promise<void>
}

const CANDOR = 'src/server.ts'

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
          {
            name: 'Candor',
            start: () => context.startProcess(CANDOR, context.env),
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
          },
        ])),
      )
    },
  },
  {
    name: 'consent',
    description: 'consent POSTs over distinct tokens beside the same database work with postgres.js',
    async run(context) {
      const { vacancyId, recruiter } = await seedVacancy(context, 'consent')
      // Enough distinct links for every measurement: each link is answered once.
      const perSubject = Number(process.env.BENCH_CONSENT_LINKS ?? 40_000)
      const seed = {
        vacancyId,
        userId: recruiter.userId,
        serverSecret: context.env.SERVER_SECRET!,
        count: perSubject,
      }
      const [candorLinks, rawLinks] = [
        await seedConsentLinks(context.databaseUrl, seed),
        await seedConsentLinks(context.databaseUrl, seed),
      ]
      let next = 0
      context.rows.push(
        ...(await compare('consent', 'consents/s', [
          {
            name: 'raw postgres.js: lookup, lock, ledger append, update',
            baseline: true,
            measure: (warmUp) => rawConsent(context.databaseUrl, rawLinks, warmUp),
          },
          {
            name: 'Candor',
            start: () => context.startProcess(CANDOR, context.env),
            request: (service) => ({
              url: service.url,
              requests: [
                {
                  method: 'POST',
                  headers: { 'content-type': 'application/x-www-form-urlencoded' },
                  setupRequest: (request) => {
                    const link = candorLinks[next++ % candorLinks.length]!
                    return { ...request, path: `/c/${link.token}`, body: `choice=consent&form=${link.form}` }
                  },
                },
              ],
            }),
          },
        ])),
      )
      if (next > candorLinks.length)
        process.stdout.write(`  (consent: ${next} requests reused links; raise BENCH_CONSENT_LINKS)\n`)
    },
  },
]
