import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../lib/problems'
import { responses } from '../../lib/schemas'
import { MalformedBatchError, parseBatch } from './tracking.events'
import { ingestEvents } from './tracking.service'

const digest = (value: string) => createHash('sha256').update(value).digest()

/** Constant-time comparison of the Authorization header with the webhook's configured credentials. */
export function webhookAuthorized(configured: string | undefined, presented: string | undefined): boolean {
  if (!configured || !presented) return false
  return timingSafeEqual(digest(configured.trim()), digest(presented.trim()))
}

const ingestView = z
  .object({ received: z.number().int(), stored: z.number().int(), duplicates: z.number().int() })
  .meta({ id: 'WebhookIngest' })

export const trackingRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/webhooks/sparkpost',
    {
      // SparkPost authenticates with the basic auth or bearer token configured on the webhook.
      config: { access: { webhook: 'SparkPost, with SPARKPOST_WEBHOOK_AUTH' } },
      bodyLimit: app.config.WEBHOOK_BODY_LIMIT_BYTES,
      onRequest: async (request) => {
        if (!webhookAuthorized(app.config.SPARKPOST_WEBHOOK_AUTH, request.headers.authorization)) {
          throw new AppError('webhook.unauthenticated', undefined, {
            headers: { 'www-authenticate': 'Basic realm="candor-webhooks"' },
          })
        }
      },
      schema: {
        tags: ['webhooks'],
        summary: 'SparkPost event batches: stored once per event_id, applied in one transaction',
        description:
          'Answers 200 (SparkPost retries anything else for 8 hours). The validation ping [{"msys":{}}] is accepted; ' +
          'a batch with a malformed event is refused whole with 400; unknown event types are kept.',
        body: z.array(z.unknown()).max(100_000),
        response: responses({ 200: ingestView }, [413]),
      },
    },
    async (request) => {
      let events: ReturnType<typeof parseBatch>
      try {
        events = parseBatch(request.body)
      } catch (error) {
        if (error instanceof MalformedBatchError) throw new AppError('webhook.malformed_batch', error.message)
        throw error
      }
      const batchId = request.headers['x-messagesystems-batch-id']
      return ingestEvents(app.services, events, typeof batchId === 'string' ? batchId.slice(0, 200) : null)
    },
  )
}
