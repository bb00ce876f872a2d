import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { htmlPage, idParams, problemSchema, responses } from '../../lib/schemas'
import { allow, principalOf, publicRoute } from '../../plugins/access'
import { noticesQuery, noticeView, outreachAccepted, outreachBody } from './outreach.schemas'
import { enqueueOutreach, noticesDue } from './outreach.service'

export const outreachRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/candidacies/:id/outreach',
    {
      config: allow('recruiter', 'admin'),
      schema: {
        tags: ['outreach'],
        summary: 'Queue a mail (consent request, Art. 14 notice, introduction confirmation) for a candidacy',
        description:
          'The message is recorded first, then queued; asking again while it waits returns the same message. ' +
          'Just before sending, withdrawal, objection, restriction, suppression and erasure are checked again.',
        params: idParams,
        body: outreachBody,
        response: responses({ 202: outreachAccepted }, [404, 409]),
      },
    },
    async (request, reply) => {
      const { messageId, created } = await enqueueOutreach(
        app.services,
        principalOf(request).userId,
        request.params.id,
        request.body.template,
        { language: request.body.language },
      )
      return reply.code(202).send({ messageId, status: 'queued' as const, created })
    },
  )

  app.get(
    '/dpo/notices',
    {
      config: allow('dpo', 'admin', 'recruiter'),
      schema: {
        tags: ['dpo'],
        summary: 'Art. 14 notices due or overdue (pending or undelivered), earliest deadline first',
        querystring: noticesQuery,
        response: responses({ 200: z.array(noticeView) }),
      },
    },
    async (request) => {
      const now = app.clock.now()
      const dueBefore = request.query.dueBefore ?? new Date(now.getTime() + 7 * 86_400_000)
      const rows = await noticesDue(app.db, dueBefore)
      return rows.map((row) => ({ ...row, noticeDueAt: row.noticeDueAt!, overdue: row.noticeDueAt! < now }))
    },
  )

  // Development only: the capture transport's mail, so a newcomer can click the links they just "sent".
  if (app.mailer.transport === 'capture' && !app.config.isProduction) {
    app.get(
      '/dev/mail',
      {
        config: publicRoute('development mail viewer (capture transport only, never in production)'),
        schema: {
          tags: ['development'],
          summary: 'Mail captured by the development transport, newest first',
          response: { 200: htmlPage('the captured mail'), 400: problemSchema },
        },
      },
      async (_request, reply) => {
        const mails = app.mailer.captured()
        const page = app.services.templates.html.render('pages/dev-mail', { mails })
        return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page)
      },
    )
  }
}
