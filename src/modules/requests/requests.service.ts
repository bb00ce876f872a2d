import type { Executor } from '../../db/client'
import { monthsDeadline, oneMonthDeadline } from '../../lib/deadlines'
import { normaliseEmail } from '../../lib/email-address'
import type { Language } from '../../lib/languages'
import { AppError } from '../../lib/problems'
import type { Principal } from '../../plugins/access'
import type { Services } from '../../services'
import { appendLedgerEvents } from '../ledger/ledger.service'
import { queueMessages } from '../messages/messages.service'
import { findPerson, findPersonIdsByEmails, listEmails } from '../people/people.service'
import { personContext } from './person-context'
import { requestMail } from './requests.mail'
import {
  defaultOwner,
  findRequest,
  insertRequestOnce,
  isPrivilegedUser,
  listTasks,
  lockRequest,
  type SubjectRequestRow,
  updateRequest,
} from './requests.repository'
import type { RequestTransition, RequestType } from './requests.tables'

// Reads of requests and their answers, as routes and jobs use them.
export { deleteExpiredArtefacts, findArtefact, listRequests, openRequests } from './requests.repository'

export type RequestDeps = Pick<Services, 'db' | 'clock' | 'config' | 'templates' | 'keyring' | 'queues'>

const DAY = 86_400_000

/** The deadline that counts now: three months after an extension, else one (Art. 12(3)). */
export const effectiveDueAt = (request: Pick<SubjectRequestRow, 'dueAt' | 'extendedDueAt'>) =>
  request.extendedDueAt ?? request.dueAt

export const transition = (
  request: SubjectRequestRow,
  status: RequestTransition['status'],
  by: string | null,
  at: Date,
  step?: string,
) => [...request.transitions, { status, at: at.toISOString(), by, ...(step ? { step } : {}) }]

export interface NewRequestInput {
  type: RequestType
  personId?: string | undefined
  email?: string | undefined
  receivedAt: Date
  channel: 'email' | 'phone' | 'letter' | 'self_service'
  note?: string | undefined
  language?: Language | undefined
}

/**
 * Registers a request as received. One about an address we hold nothing on is registered all the
 * same (and answered: we hold no data) and creates no person. The deadline is computed, not guessed.
 * A request of a type already open for the person joins that one: one request, one deadline, one
 * answer (`joined`), and no second acknowledgement.
 */
export async function registerRequest(
  deps: RequestDeps,
  actor: Principal | null,
  input: NewRequestInput,
  options: { verification?: string } = {},
): Promise<{ request: RequestWithTasks; joined: boolean }> {
  const now = deps.clock.now()
  if (input.receivedAt > now) {
    throw new AppError('request.invalid', 'receivedAt cannot be in the future', {
      errors: [{ field: 'body.receivedAt', message: 'cannot be in the future' }],
    })
  }
  if (!input.personId && !input.email) {
    throw new AppError('request.invalid', 'Name the person or give their e-mail address', {
      errors: [{ field: 'body.email', message: 'personId or email is required' }],
    })
  }
  const { request, joined, mailIds } = await deps.db.transaction(async (tx) => {
    let personId = input.personId ?? null
    if (personId && !(await findPerson(tx, personId))) throw new AppError('person.not_found')
    if (!personId && input.email)
      personId = (await findPersonIdsByEmails(tx, [normaliseEmail(input.email)]))[0] ?? null
    const person = personId ? await findPerson(tx, personId) : undefined
    const contactEmail =
      input.email?.trim() ?? (personId ? (await listEmails(tx, [personId]))[0]?.address : undefined) ?? null
    const owner =
      actor && (actor.role === 'dpo' || actor.role === 'admin') ? actor.userId : await defaultOwner(tx)
    const verified = options.verification !== undefined
    const { row: request, created } = await insertRequestOnce(tx, {
      type: input.type,
      status: verified ? 'verified' : 'received',
      personId,
      contactEmail,
      language: input.language ?? person?.language ?? 'nl',
      channel: input.channel,
      note: input.note ?? null,
      receivedAt: input.receivedAt,
      dueAt: oneMonthDeadline(input.receivedAt, deps.config.JURISDICTION).dueAt,
      verifiedAt: verified ? now : null,
      verificationMethod: options.verification ?? null,
      ownerId: owner,
      transitions: [
        { status: 'received', at: now.toISOString(), by: actor?.userId ?? null },
        ...(verified ? [{ status: 'verified' as const, at: now.toISOString(), by: null }] : []),
      ],
      createdBy: actor?.userId ?? null,
      createdAt: now,
      updatedAt: now,
    })
    if (!created) return { request: await getRequest(tx, request.id), joined: true, mailIds: [] }
    if (input.type === 'erasure' && personId) {
      const context = await personContext(tx, personId)
      for (const candidacyId of context?.candidacyIds ?? []) {
        await appendLedgerEvents(tx, candidacyId, [
          {
            type: 'erasure_requested',
            actor: actor ? { type: 'user', userId: actor.userId } : { type: 'data_subject' },
            occurredAt: now,
            evidence: { request: request.id },
          },
        ])
      }
    }
    const mailId = await requestMail(deps, tx, request, 'request_received')
    return { request: await getRequest(tx, request.id), joined: false, mailIds: mailId ? [mailId] : [] }
  })
  await queueMessages(deps, mailIds)
  return { request, joined }
}

export async function lockOpen(tx: Executor, id: string): Promise<SubjectRequestRow> {
  const request = await lockRequest(tx, id)
  if (!request) throw new AppError('request.not_found')
  if (request.status === 'completed' || request.status === 'rejected') {
    throw new AppError('request.closed', `The request is ${request.status}.`)
  }
  return request
}

export type RequestWithTasks = SubjectRequestRow & { tasks: Awaited<ReturnType<typeof listTasks>> }

export async function getRequest(db: Executor, id: string): Promise<RequestWithTasks> {
  const [request, tasks] = await Promise.all([findRequest(db, id), listTasks(db, id)])
  if (!request) throw new AppError('request.not_found')
  return { ...request, tasks }
}

/** Identity checked (Art. 12(6)), and how. */
export function verifyRequest(deps: RequestDeps, actor: Principal, id: string, method: string) {
  return deps.db.transaction(async (tx) => {
    const request = await lockOpen(tx, id)
    if (request.status !== 'received')
      throw new AppError('request.invalid_transition', 'The request is already verified.')
    const now = deps.clock.now()
    await updateRequest(tx, id, {
      status: 'verified',
      verifiedAt: now,
      verificationMethod: method,
      transitions: transition(request, 'verified', actor.userId, now),
      updatedAt: now,
    })
    return getRequest(tx, id)
  })
}

/**
 * Art. 12(3): up to two further months, only within the first month, with the reason told to
 * the person — who is mailed at once.
 */
export async function extendRequest(deps: RequestDeps, actor: Principal, id: string, reason: string) {
  const { view, mailIds } = await deps.db.transaction(async (tx) => {
    const request = await lockOpen(tx, id)
    const now = deps.clock.now()
    if (request.extendedDueAt) throw new AppError('request.already_extended')
    if (now > request.dueAt) throw new AppError('request.extension_too_late')
    const extended = {
      ...request,
      extendedDueAt: monthsDeadline(request.receivedAt, 3, deps.config.JURISDICTION).dueAt,
      extensionReason: reason,
    }
    await updateRequest(tx, id, {
      extendedDueAt: extended.extendedDueAt,
      extensionReason: reason,
      transitions: transition(request, 'step', actor.userId, now, 'extended'),
      updatedAt: now,
    })
    const mailId = await requestMail(deps, tx, extended, 'request_extended')
    return { view: await getRequest(tx, id), mailIds: mailId ? [mailId] : [] }
  })
  await queueMessages(deps, mailIds)
  return view
}

/** Every request has an owner: a DPO or an admin. */
export function assignRequest(deps: RequestDeps, actor: Principal, id: string, userId: string) {
  return deps.db.transaction(async (tx) => {
    const request = await lockOpen(tx, id)
    if (!(await isPrivilegedUser(tx, userId))) throw new AppError('request.owner_not_allowed')
    const now = deps.clock.now()
    await updateRequest(tx, id, {
      ownerId: userId,
      transitions: transition(request, 'step', actor.userId, now, `assigned:${userId}`),
      updatedAt: now,
    })
    return getRequest(tx, id)
  })
}

/** Refused (e.g. an Art. 17(3) exception), with the reason told to the person. */
export async function rejectRequest(deps: RequestDeps, actor: Principal, id: string, reason: string) {
  const { view, mailIds } = await deps.db.transaction(async (tx) => {
    const request = await lockOpen(tx, id)
    const now = deps.clock.now()
    const rejected = { ...request, rejectionReason: reason }
    const mailId = await requestMail(deps, tx, rejected, 'request_completed', { outcome: reason })
    await updateRequest(tx, id, {
      status: 'rejected',
      rejectionReason: reason,
      closedAt: now,
      contactEmail: null,
      transitions: transition(request, 'rejected', actor.userId, now),
      updatedAt: now,
    })
    return { view: await getRequest(tx, id), mailIds: mailId ? [mailId] : [] }
  })
  await queueMessages(deps, mailIds)
  return view
}

/** Open requests with their effective deadline, for /dpo/deadlines and the reminder job. */
export function deadlineView(request: SubjectRequestRow, now: Date, soonDays = 7) {
  const dueAt = effectiveDueAt(request)
  return {
    id: request.id,
    type: request.type,
    status: request.status,
    ownerId: request.ownerId,
    receivedAt: request.receivedAt,
    dueAt,
    extended: request.extendedDueAt !== null,
    overdue: dueAt < now,
    dueSoon: dueAt >= now && dueAt.getTime() - now.getTime() <= soonDays * DAY,
  }
}
