import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { documentResponse, instantFilter, pageQuery, responses } from '../../lib/schemas'
import { allow } from '../../plugins/access'
import { accessEntryView } from '../audit/audit.schemas'
import { accessLogCsv, listAccessLog } from '../audit/audit.service'
import { verifyLedger } from '../ledger/ledger.service'
import { planRetention } from '../retention/retention.service'
import { processingRecordView } from './records.schemas'
import { buildRecords, dpoOverviewCounts, recordsCsv, recordsHtml } from './records.service'

export const recordsRoutes: FastifyPluginAsyncZod = async (app) => {
  const dpo = allow('dpo', 'admin')
  const tags = ['dpo']

  app.get(
    '/dpo/records',
    {
      config: dpo,
      schema: {
        tags,
        summary: 'Records of processing (Art. 30), built from live data: JSON, CSV or an HTML document',
        querystring: z.strictObject({ format: z.enum(['json', 'csv', 'html']).default('json') }),
        response: {
          ...responses({}),
          200: {
            description: 'the records as JSON, CSV (one row per purpose) or a printable HTML document',
            content: {
              'application/json': { schema: processingRecordView },
              ...documentResponse('', ['text/csv', 'text/html']).content,
            },
          },
        },
      },
    },
    async (request, reply) => {
      const record = await buildRecords(app.services, app.db, app.clock.now())
      if (request.query.format === 'csv')
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="records-of-processing.csv"')
          .send(recordsCsv(record))
      if (request.query.format === 'html')
        return reply.type('text/html; charset=utf-8').send(recordsHtml(app.services, record))
      return reply.type('application/json; charset=utf-8').send(record)
    },
  )

  app.get(
    '/dpo/access-log',
    {
      config: dpo,
      schema: {
        tags,
        summary: 'Who read or exported whose data (accountability, Art. 5(2)): CSV or JSON',
        querystring: z.strictObject({
          from: instantFilter.optional(),
          to: instantFilter.optional(),
          personId: z.uuid().optional(),
          userId: z.uuid().optional(),
          format: z.enum(['json', 'csv']).default('json'),
          limit: pageQuery.limit.unwrap().max(100_000).default(10_000),
          offset: pageQuery.offset,
        }),
        response: {
          ...responses({}),
          200: {
            description: 'access log entries as JSON or CSV (one row per read or export)',
            content: {
              'application/json': { schema: z.array(accessEntryView) },
              ...documentResponse('', ['text/csv']).content,
            },
          },
        },
      },
    },
    async (request, reply) => {
      const { format, ...filter } = request.query
      const entries = await listAccessLog(app.db, filter)
      if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(accessLogCsv(entries))
      return reply.type('application/json; charset=utf-8').send(entries)
    },
  )

  app.get(
    '/dpo/overview',
    {
      config: dpo,
      schema: {
        tags,
        summary: 'Counts a DPO watches: candidacies by basis, consents, requests, notices, retention, ledger',
        response: responses({ 200: z.record(z.string(), z.unknown()) }),
      },
    },
    async () => {
      const now = app.clock.now()
      const week = new Date(now.getTime() + 7 * 86_400_000)
      const counts = await dpoOverviewCounts(app.services, now, week)
      const ledger = await verifyLedger(app.db)
      const retention = await planRetention(app.services)
      return {
        candidacies: { legitimateInterest: counts.openLegitimateInterest, consent: counts.openConsent },
        consents: { live: counts.consentsLive, withdrawn: counts.consentsWithdrawn },
        requests: { open: counts.requestsOpen, overdue: counts.requestsOverdue },
        noticesDueThisWeek: counts.noticesDueThisWeek,
        retention: {
          dueThisWeek: counts.retentionDueThisWeek,
          dueNow: retention.filter((item) => !item.keptBecause).length,
        },
        ledger: {
          valid: ledger.valid,
          chains: ledger.chains,
          events: ledger.events,
          brokenChains: ledger.breaks.length,
        },
      }
    },
  )
}
