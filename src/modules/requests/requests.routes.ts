import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { idParams, responses } from '../../lib/schemas'
import { allow, principalOf } from '../../plugins/access'
import { confirmErasureTask } from './erasure.service'
import { completeRequest, liftRestriction } from './fulfilment.service'
import {
  deadlineView as deadlineSchema,
  newRequestBody,
  requestListQuery,
  requestView,
  taskParams,
} from './requests.schemas'
import {
  assignRequest,
  deadlineView,
  effectiveDueAt,
  extendRequest,
  getRequest,
  listRequests,
  openRequests,
  registerRequest,
  rejectRequest,
  verifyRequest,
} from './requests.service'

type RequestWithTasks = Awaited<ReturnType<typeof getRequest>>
const view = (request: RequestWithTasks) => ({ ...request, effectiveDueAt: effectiveDueAt(request) })

export const requestRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['subject requests']
  const dpo = allow('dpo', 'admin')
  const one = { params: idParams, response: responses({ 200: requestView }, [404, 409]) }

  app.post(
    '/requests',
    {
      config: allow('dpo', 'admin', 'recruiter'),
      schema: {
        tags,
        summary: 'Register a data subject request (a recruiter may register one received by mail)',
        description:
          'Due one month after receipt (Regulation 1182/71, public holidays of JURISDICTION). The person is mailed request_received. ' +
          'A request of a type already open for the person joins it: 200 with that request, no second mail.',
        body: newRequestBody,
        response: responses({ 200: requestView, 201: requestView }, [404]),
      },
    },
    async (request, reply) => {
      const { request: registered, joined } = await registerRequest(
        app.services,
        principalOf(request),
        request.body,
      )
      // 200: a request of this type was already open for the person, and this one joined it.
      return reply.code(joined ? 200 : 201).send(view(registered))
    },
  )

  app.get(
    '/requests',
    {
      config: dpo,
      schema: {
        tags,
        summary: 'List requests, earliest deadline first',
        querystring: requestListQuery,
        response: responses({ 200: z.array(requestView) }),
      },
    },
    async (request) => {
      const rows = await listRequests(app.db, request.query)
      return rows.map((row) => ({ ...row, tasks: [], effectiveDueAt: effectiveDueAt(row) }))
    },
  )

  app.get(
    '/requests/:id',
    { config: dpo, schema: { tags, summary: 'Read a request with its steps and tasks', ...one } },
    async (request) => view(await getRequest(app.db, request.params.id)),
  )

  app.post(
    '/requests/:id/verify',
    {
      config: dpo,
      schema: {
        tags,
        summary: "Record that the requester's identity was verified, and how (Art. 12(6))",
        body: z.strictObject({ method: z.string().trim().min(3).max(500) }),
        ...one,
      },
    },
    async (request) =>
      view(await verifyRequest(app.services, principalOf(request), request.params.id, request.body.method)),
  )

  app.post(
    '/requests/:id/extend',
    {
      config: dpo,
      schema: {
        tags,
        summary:
          'Extend by two months, within the first month and with a reason the person is told (Art. 12(3))',
        body: z.strictObject({ reason: z.string().trim().min(10).max(2000) }),
        ...one,
      },
    },
    async (request) =>
      view(await extendRequest(app.services, principalOf(request), request.params.id, request.body.reason)),
  )

  app.post(
    '/requests/:id/complete',
    {
      config: dpo,
      schema: {
        tags,
        summary: 'Carry out the request (erasure runs as a job and waits for its manual tasks)',
        ...one,
      },
    },
    async (request) =>
      view(
        await completeRequest(
          app.services,
          principalOf(request),
          request.params.id,
          'POST /requests/:id/complete',
        ),
      ),
  )

  app.post(
    '/requests/:id/reject',
    {
      config: dpo,
      schema: {
        tags,
        summary: 'Refuse the request with a reason the person is told (e.g. an Art. 17(3) exception)',
        body: z.strictObject({ reason: z.string().trim().min(10).max(2000) }),
        ...one,
      },
    },
    async (request) =>
      view(await rejectRequest(app.services, principalOf(request), request.params.id, request.body.reason)),
  )

  app.post(
    '/requests/:id/assign',
    {
      config: dpo,
      schema: {
        tags,
        summary: 'Give the request an owner (a DPO or admin)',
        body: z.strictObject({ userId: z.uuid() }),
        ...one,
      },
    },
    async (request) =>
      view(await assignRequest(app.services, principalOf(request), request.params.id, request.body.userId)),
  )

  app.post(
    '/requests/:id/tasks/:taskId/confirm',
    {
      config: dpo,
      schema: {
        tags,
        summary: 'Confirm a manual erasure task as done (by the calling user)',
        params: taskParams,
        response: responses({ 200: requestView }, [404, 409]),
      },
    },
    async (request) =>
      view(
        await confirmErasureTask(
          app.services,
          principalOf(request),
          request.params.id,
          request.params.taskId,
        ),
      ),
  )

  app.post(
    '/people/:id/restriction/lift',
    {
      config: dpo,
      schema: {
        tags,
        summary: 'Lift an Art. 18 restriction',
        params: idParams,
        response: responses({ 204: z.null() }, [404, 409]),
      },
    },
    async (request, reply) => {
      await liftRestriction(app.services, principalOf(request), request.params.id)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/dpo/deadlines',
    {
      config: dpo,
      schema: {
        tags: ['dpo'],
        summary: 'Open requests with their deadlines: overdue and due within 7 days flagged',
        response: responses({ 200: z.array(deadlineSchema) }),
      },
    },
    async () => {
      const now = app.clock.now()
      return (await openRequests(app.db)).map((row) => deadlineView(row, now))
    },
  )
}
