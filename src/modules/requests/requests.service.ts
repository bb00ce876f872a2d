import type { Executor } from '../../db/client'
import { monthsDeadline, oneMonthDeadline } from '../../lib/deadlines'
import { normaliseEmail } from '../../lib/email-address'
import { AppError } from '../../lib/problems'
import type { Principal } from '../../plugins/access'
import { jobsToRequeue } from '../../queue/queues'
import type { Services } from '../../services'
import { logAccess } from '../audit/audit.service'
import {
  listPersonCandidacies,
  lockCandidacies,
  lockCandidacyContext,
} from '../candidacies/candidacies.repository'
import { ENDED_STAGES } from '../candidacies/candidacies.service'
import { findClient } from '../clients/clients.repository'
import { removeCancelledJobs, stopCandidacy } from '../consent/consent.service'
import { appendLedgerEvents } from '../ledger/ledger.service'
import { cancelPendingMessages } from '../outreach/outreach.repository'
import { queueMessages, recordRequestMail } from '../outreach/outreach.service'
import type { MailTemplate } from '../outreach/outreach.tables'
import {
  findPerson,
  findPersonIdsByEmails,
  listEmails,
  lockPerson,
  updatePerson,
} from '../people/people.repository'
import { suppress } from '../suppression/suppression.service'
import { findVacancyDetail } from '../vacancies/vacancies.repository'
import type { Language } from '../vacancies/vacancies.tables'
import { deletePersonData, scanForTraces } from './erasure.repository'
import { buildAccessPackage } from './requests.package'
import {
  confirmTask,
  defaultOwner,
  findRequest,
  insertRequestOnce,
  insertTasks,
  isPrivilegedUser,
  listTasks,
  lockRequest,
  type SubjectRequestRow,
  stalledErasures,
  storeArtefact,
  updateRequest,
} from './requests.repository'
import type { RequestTransition, RequestType } from './requests.tables'

export type RequestDeps = Pick<Services, 'db' | 'clock' | 'config' | 'templates' | 'keyring' | 'queues'>

const DAY = 86_400_000
const ACCESS_DOWNLOAD_DAYS = 14

/** The deadline that counts now: three months after an extension, else one (Art. 12(3)). */
export const effectiveDueAt = (request: Pick<SubjectRequestRow, 'dueAt' | 'extendedDueAt'>) =>
  request.extendedDueAt ?? request.dueAt

const transition = (
  request: SubjectRequestRow,
  status: RequestTransition['status'],
  by: string | null,
  at: Date,
  step?: string,
) => [...request.transitions, { status, at: at.toISOString(), by, ...(step ? { step } : {}) }]

interface PersonContext {
  personId: string
  candidacyIds: string[]
  liveCandidacyId: string | null
  language: Language
  restrictedAt: Date | null
}

/** A candidacy was added to the person between locking their candidacies and locking them. */
class PersonGainedCandidacy extends Error {}

/**
 * The person's candidacies (in id order), and one still live for the links in mail about the
 * request. `lock` locks the candidacies, then the person (the order every candidacy's transaction
 * takes), and checks no candidacy was added in between: one that was would escape what the
 * request does (a restriction, an objection). Callers run in a `personTransaction`.
 */
async function personContext(
  db: Executor,
  personId: string,
  options: { lock?: boolean } = {},
): Promise<PersonContext | undefined> {
  const locked = options.lock ? await listPersonCandidacies(db, personId, { lock: true }) : undefined
  // The person's lock leaves first: a sourcing holding it (for share) while it adds a candidacy
  // is waited for, and the list after it sees what that sourcing committed.
  const [person, rows] = await Promise.all([
    locked ? lockPerson(db, personId) : findPerson(db, personId),
    listPersonCandidacies(db, personId),
  ])
  if (locked && rows.some((row) => !locked.some((candidacy) => candidacy.id === row.id)))
    throw new PersonGainedCandidacy()
  if (!person) return undefined
  return {
    personId,
    candidacyIds: rows.map((row) => row.id),
    liveCandidacyId: rows.find((row) => !ENDED_STAGES.includes(row.stage))?.id ?? null,
    language: person.language,
    restrictedAt: person.restrictedAt,
  }
}

/**
 * A transaction over a person's locked context, started again when a sourcing added a candidacy
 * to them meanwhile (a sourcing is milliseconds); a person who keeps gaining them is a 409.
 */
async function personTransaction<T>(db: RequestDeps['db'], work: (tx: Executor) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work)
    } catch (error) {
      if (!(error instanceof PersonGainedCandidacy)) throw error
      if (attempt >= 5) throw new AppError('person.busy')
    }
  }
}

/** Records a mail to the person about their request; returns its id (the job is added after commit). */
async function requestMail(
  deps: RequestDeps,
  tx: Executor,
  request: SubjectRequestRow,
  template: MailTemplate,
  extra: { outcome?: string; download?: { expiresAt: Date }; anonymous?: boolean } = {},
): Promise<string | undefined> {
  if (!request.contactEmail) return undefined
  const context = request.personId && !extra.anonymous ? await personContext(tx, request.personId) : undefined
  const person = context ? await findPerson(tx, context.personId) : undefined
  let vacancyFacts = {}
  if (context?.liveCandidacyId) {
    const candidacy = await lockCandidacyContext(tx, context.liveCandidacyId)
    const vacancy = candidacy ? await findVacancyDetail(tx, candidacy.vacancy.id) : undefined
    const client = vacancy ? await findClient(tx, vacancy.clientId) : undefined
    if (vacancy && client) {
      vacancyFacts = {
        client: { name: client.name, country: client.country },
        vacancy: {
          title: vacancy.title,
          purpose: vacancy.purpose,
          legalBasis: vacancy.legalBasis,
          retentionDays: vacancy.retentionDays,
        },
      }
    }
  }
  return recordRequestMail(deps, tx, {
    subjectRequestId: request.id,
    template,
    to: request.contactEmail,
    language: request.language,
    candidacyId: context?.liveCandidacyId ?? null,
    ...(extra.download ? { download: extra.download } : {}),
    facts: {
      person: person ? { fullName: person.fullName } : null,
      ...vacancyFacts,
      request: {
        type: request.type,
        receivedAt: request.receivedAt,
        dueAt: request.dueAt,
        extendedDueAt: request.extendedDueAt,
        reason: request.extensionReason ?? request.rejectionReason,
        ...(extra.outcome ? { outcome: extra.outcome } : {}),
      },
    },
  })
}

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

async function lockOpen(tx: Executor, id: string): Promise<SubjectRequestRow> {
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

const outcomes = {
  en: {
    access: 'Your data is ready: download it with the link below.',
    none: 'We hold no personal data about you.',
    erasure:
      'We erased your data. We keep only a one-way code of your e-mail address, so that we never add you again.',
    restriction:
      'We restricted the use of your data: we keep it, and do nothing else with it until the restriction is lifted.',
    objection:
      'We stopped processing your data for every vacancy it was held for on the basis of legitimate interest.',
    rectification: 'We corrected your data as you asked.',
  },
  nl: {
    access: 'Uw gegevens staan klaar: download ze met de link hieronder.',
    none: 'Wij hebben geen persoonsgegevens over u.',
    erasure:
      'Wij hebben uw gegevens gewist. Wij bewaren alleen een onomkeerbare code van uw e-mailadres, zodat wij u nooit opnieuw toevoegen.',
    restriction:
      'Wij hebben het gebruik van uw gegevens beperkt: wij bewaren ze en doen er verder niets mee tot de beperking wordt opgeheven.',
    objection:
      'Wij zijn gestopt met het verwerken van uw gegevens voor elke vacature waarvoor wij ze op grond van gerechtvaardigd belang hadden.',
    rectification: 'Wij hebben uw gegevens gecorrigeerd zoals u vroeg.',
  },
} as const

/**
 * Carries the request out. Access and portability build the answer package; restriction freezes
 * the person; objection ends legitimate-interest processing; erasure starts the erasure job, which
 * completes the request once its manual tasks are confirmed.
 */
export async function completeRequest(deps: RequestDeps, actor: Principal, id: string, route: string) {
  const { mailIds, cancelled, startErasure, view } = await personTransaction(deps.db, async (tx) => {
    const done = await carryOut(deps, tx, actor, id, route)
    return { ...done, view: await getRequest(tx, id) }
  })
  await removeCancelledJobs(deps, cancelled)
  await queueMessages(deps, mailIds)
  if (startErasure) await queueErasure(deps, id)
  return view
}

/** What completing a request does, in its transaction: the mails to queue and jobs to cancel after it. */
async function carryOut(
  deps: RequestDeps,
  tx: Executor,
  actor: Principal,
  id: string,
  route: string,
): Promise<{ mailIds: string[]; cancelled: string[]; startErasure: boolean }> {
  const request = await lockOpen(tx, id)
  if (request.status === 'received') throw new AppError('request.not_verified')
  const now = deps.clock.now()
  const done = (extra: Partial<SubjectRequestRow> = {}) =>
    updateRequest(tx, id, {
      status: 'completed',
      closedAt: now,
      contactEmail: null,
      transitions: transition(request, 'completed', actor.userId, now),
      updatedAt: now,
      ...extra,
    })
  const text = outcomes[request.language]
  // The candidacies locked before the person and their messages, in id order, as everything
  // else locks them (a withdrawal, the mail worker): the other order could deadlock with those.
  const context = request.personId ? await personContext(tx, request.personId, { lock: true }) : undefined

  if (request.type === 'erasure') {
    if (request.status === 'in_progress') throw new AppError('request.in_progress')
    await updateRequest(tx, id, {
      status: 'in_progress',
      currentStep: 'start',
      transitions: transition(request, 'in_progress', actor.userId, now),
      updatedAt: now,
    })
    return { mailIds: [], cancelled: [], startErasure: true }
  }

  if (request.type === 'access' || request.type === 'portability') {
    const expiresAt = new Date(now.getTime() + ACCESS_DOWNLOAD_DAYS * DAY)
    const answer = await buildAccessPackage(deps, tx, {
      personId: context?.personId ?? null,
      language: request.language,
      generatedAt: now,
    })
    await storeArtefact(tx, {
      requestId: id,
      json: answer.json,
      html: answer.html,
      expiresAt,
      createdAt: now,
    })
    // An export of the person's data, like any read of it, goes in the access log.
    if (context) {
      await logAccess({ db: tx, clock: deps.clock }, actor, 'export', route, [{ personId: context.personId }])
    }
    // Art. 15: what was handed over, and when, is proved without holding the data itself.
    for (const candidacyId of context?.candidacyIds ?? []) {
      await appendLedgerEvents(tx, candidacyId, [
        {
          type: 'exported',
          actor: { type: 'user', userId: actor.userId },
          occurredAt: now,
          evidence: { request: id, format: request.type },
        },
      ])
    }
    const mailId = await requestMail(deps, tx, request, 'request_completed', {
      outcome: context ? text.access : `${text.none} ${text.access}`,
      download: { expiresAt },
    })
    await done({ result: { package: answer.summary, downloadExpiresAt: expiresAt.toISOString() } })
    return { mailIds: mailId ? [mailId] : [], cancelled: [], startErasure: false }
  }

  const cancelled: string[] = []
  if (context && request.type === 'restriction') {
    await updatePerson(tx, context.personId, { restrictedAt: now, updatedAt: now })
    for (const candidacyId of context.candidacyIds) {
      cancelled.push(...(await cancelPendingMessages(tx, candidacyId, 'restricted', now)))
      await appendLedgerEvents(tx, candidacyId, [
        {
          type: 'restricted',
          actor: { type: 'user', userId: actor.userId },
          occurredAt: now,
          evidence: { request: id },
        },
      ])
    }
  }
  if (context && request.type === 'objection') {
    for (const candidacyId of context.candidacyIds) {
      const locked = await lockCandidacyContext(tx, candidacyId)
      if (
        !locked ||
        ENDED_STAGES.includes(locked.candidacy.stage) ||
        locked.vacancy.legalBasis !== 'legitimate_interest'
      )
        continue
      cancelled.push(
        ...(await stopCandidacy(deps, tx, locked.candidacy, {
          type: 'objection',
          actor: { type: 'user', userId: actor.userId },
          evidence: { request: id },
        })),
      )
    }
  }
  const outcome = !context ? text.none : text[request.type as 'restriction' | 'objection' | 'rectification']
  const mailId = await requestMail(deps, tx, request, 'request_completed', { outcome })
  await done({ result: { outcome: request.type } })
  return { mailIds: mailId ? [mailId] : [], cancelled, startErasure: false }
}

const erasureJobId = (requestId: string) => `erasure-${requestId}`

/** The job id is the request's: queuing it twice (a retried call, the reconciler) is a no-op. */
async function queueErasure(deps: Pick<Services, 'queues'>, requestId: string): Promise<void> {
  await deps.queues.maintenance.add('erasure', { requestId }, { jobId: erasureJobId(requestId) })
}

/**
 * Re-queues every erasure under way whose job Redis no longer holds, or holds as finished or
 * failed for good: the one-month deadline (Art. 12(3)) must not hang on a lost job.
 */
export async function reconcileErasures(
  deps: Pick<Services, 'db' | 'clock' | 'queues'>,
  options: { olderThanMs: number; batch?: number },
): Promise<{ checked: number; requeued: number }> {
  const untouchedSince = new Date(deps.clock.now().getTime() - options.olderThanMs)
  const stalled = await stalledErasures(deps.db, untouchedSince, options.batch ?? 100)
  const missing = new Set(
    (await jobsToRequeue(deps.queues.maintenance, stalled.map(erasureJobId))).map((job) => job.id),
  )
  for (const requestId of stalled) {
    if (missing.has(erasureJobId(requestId))) await queueErasure(deps, requestId)
  }
  return { checked: stalled.length, requeued: missing.size }
}

/** Art. 18: lifting a restriction, recorded like the restriction itself. */
export async function liftRestriction(deps: RequestDeps, actor: Principal, personId: string) {
  await personTransaction(deps.db, async (tx) => {
    const context = await personContext(tx, personId, { lock: true })
    if (!context) throw new AppError('person.not_found')
    if (!context.restrictedAt) throw new AppError('person.not_restricted')
    const now = deps.clock.now()
    await updatePerson(tx, personId, { restrictedAt: null, updatedAt: now })
    for (const candidacyId of context.candidacyIds) {
      await appendLedgerEvents(tx, candidacyId, [
        {
          type: 'restriction_lifted',
          actor: { type: 'user', userId: actor.userId },
          occurredAt: now,
          evidence: {},
        },
      ])
    }
  })
}

interface ErasureSubject {
  personId: string | null
  candidacyIds: string[]
  addresses: string[]
  needles: string[]
  /** Where the answer goes; held here (encrypted), not on the request, while the erasure runs. */
  contactEmail: string | null
}

const erasureBinding = (requestId: string) => `erasure:${requestId}`

/** What the erasure must reach and prove, kept encrypted on the request until the proof is done. */
function erasureSubjectOf(
  deps: Pick<Services, 'keyring'>,
  request: SubjectRequestRow,
): ErasureSubject | undefined {
  return request.erasureSubject
    ? (JSON.parse(
        deps.keyring.decrypt(
          { keyId: request.erasureKeyId!, ciphertext: request.erasureSubject },
          erasureBinding(request.id),
        ),
      ) as ErasureSubject)
    : undefined
}

export type ErasureStep = 'start' | 'cancel_mail' | 'provider' | 'erase' | 'tasks' | 'proof' | 'done'

/**
 * One step of an erasure (Art. 17), each in its own transaction, with the next step stored on
 * the request: a worker killed between steps resumes where it stopped, and running a finished
 * step again changes nothing. Returns the step the request is now at.
 */
export async function erasureStep(deps: RequestDeps, requestId: string): Promise<ErasureStep> {
  // The provider is asked outside any transaction (an HTTP call of up to 10 s holds no lock and no
  // connection), before the step is stored: if it fails or the worker dies, the step runs again
  // (the suppression list PUT is idempotent).
  const current = await findRequest(deps.db, requestId)
  if (current?.type === 'erasure' && current.status === 'in_progress' && current.currentStep === 'provider') {
    await suppressAtProvider(deps, erasureSubjectOf(deps, current)?.addresses ?? [])
  }
  const result = await deps.db.transaction(
    async (tx): Promise<{ step: ErasureStep; cancelled: string[]; mailIds: string[] }> => {
      const request = await lockRequest(tx, requestId)
      if (request?.type !== 'erasure') throw new AppError('request.not_found')
      const step = (request.currentStep ?? 'done') as ErasureStep
      if (request.status !== 'in_progress' || step === 'done')
        return { step: 'done', cancelled: [], mailIds: [] }
      const now = deps.clock.now()
      const move = async (next: ErasureStep, extra: Partial<SubjectRequestRow> = {}) => {
        await updateRequest(tx, requestId, {
          currentStep: next,
          transitions: transition(request, 'step', null, now, next),
          updatedAt: now,
          ...extra,
        })
        return next
      }
      const subject = () => erasureSubjectOf(deps, request)

      switch (step) {
        case 'start': {
          // Everything needed to finish and to prove it, kept encrypted until the proof is done.
          const person = request.personId ? await lockPerson(tx, request.personId) : undefined
          const context = person ? await personContext(tx, person.id) : undefined
          const emails = person ? await listEmails(tx, [person.id]) : []
          const erasure: ErasureSubject = {
            personId: person?.id ?? null,
            candidacyIds: context?.candidacyIds ?? [],
            addresses: emails.map((email) => email.normalized),
            needles: [
              ...emails.flatMap((email) => [email.address, email.normalized]),
              ...(person ? [person.fullName] : []),
              ...(person?.phone ? [person.phone] : []),
              ...(request.contactEmail ? [request.contactEmail] : []),
            ],
            contactEmail: request.contactEmail,
          }
          // Art. 17/21: never re-sourced or re-mailed, from now on (only a keyed hash of each
          // address remains); a sourcing of the person while the erasure runs is refused.
          await suppress(tx, deps.config.SERVER_SECRET!, erasure.addresses, 'erasure', now)
          const encrypted = deps.keyring.encrypt(JSON.stringify(erasure), erasureBinding(requestId))
          const sealed = {
            erasureSubject: encrypted.ciphertext,
            erasureKeyId: encrypted.keyId,
            contactEmail: null,
          }
          const descriptions = deps.config.ERASURE_MANUAL_TASKS.split('|')
            .map((task) => task.trim())
            .filter(Boolean)
          if ((await listTasks(tx, requestId)).length === 0) {
            await insertTasks(
              tx,
              descriptions.map((description) => ({ requestId, description, createdAt: now })),
            )
          }
          return { step: await move(person ? 'cancel_mail' : 'tasks', sealed), cancelled: [], mailIds: [] }
        }
        case 'cancel_mail': {
          const erasure = subject()!
          const cancelled: string[] = []
          for (const candidacyId of erasure.candidacyIds)
            cancelled.push(...(await cancelPendingMessages(tx, candidacyId, 'erased', now)))
          return { step: await move('provider'), cancelled, mailIds: [] }
        }
        case 'provider':
          // Asked above, before this transaction.
          return { step: await move('erase'), cancelled: [], mailIds: [] }
        case 'erase': {
          const stored = subject()!
          // The candidacies known at the start, and any that landed since (a sourcing past its
          // suppression check when the erasure started): all of them go, locked in id order first.
          const current = stored.personId ? await listPersonCandidacies(tx, stored.personId) : []
          const erasure = {
            ...stored,
            candidacyIds: [...new Set([...stored.candidacyIds, ...current.map((candidacy) => candidacy.id)])],
          }
          await lockCandidacies(tx, erasure.candidacyIds)
          for (const candidacyId of erasure.candidacyIds) {
            await appendLedgerEvents(tx, candidacyId, [
              {
                type: 'erased',
                actor: { type: 'system' },
                occurredAt: now,
                evidence: { request: requestId },
              },
            ])
          }
          const removed = await deletePersonData(tx, {
            personId: erasure.personId!,
            candidacyIds: erasure.candidacyIds,
            addresses: erasure.addresses,
            keepMessageIds: [],
            at: now,
          })
          return {
            step: await move('tasks', { result: { ...(request.result ?? {}), removed } }),
            cancelled: [],
            mailIds: [],
          }
        }
        case 'tasks': {
          const open = (await listTasks(tx, requestId)).filter((task) => !task.confirmedAt)
          return { step: open.length > 0 ? 'tasks' : await move('proof'), cancelled: [], mailIds: [] }
        }
        case 'proof': {
          const erasure = subject()
          const check = erasure
            ? await scanForTraces(tx, erasure.needles)
            : { columns: 0, found: [] as Array<{ column: string; rows: number }> }
          if (check.found.length > 0) {
            // Something still holds them: the request stays open, with where (never what) in its result.
            await updateRequest(tx, requestId, {
              result: { ...(request.result ?? {}), check: { ...check, at: now.toISOString() } },
              updatedAt: now,
            })
            throw new AppError(
              'request.erasure_incomplete',
              `Traces remain in ${check.found.map((item) => item.column).join(', ')}.`,
            )
          }
          // The answer names nobody: the person is gone, only the address it is sent to remains until it is.
          const mailId = await requestMail(
            deps,
            tx,
            { ...request, contactEmail: erasure?.contactEmail ?? null },
            'request_completed',
            {
              outcome: outcomes[request.language].erasure,
              anonymous: true,
            },
          )
          await updateRequest(tx, requestId, {
            status: 'completed',
            currentStep: 'done',
            closedAt: now,
            contactEmail: null,
            erasureSubject: null,
            erasureKeyId: null,
            result: {
              ...(request.result ?? {}),
              check: { columns: check.columns, found: [], at: now.toISOString() },
            },
            transitions: transition(request, 'completed', null, now),
            updatedAt: now,
          })
          return { step: 'done', cancelled: [], mailIds: mailId ? [mailId] : [] }
        }
        default:
          return { step: 'done', cancelled: [], mailIds: [] }
      }
    },
  )
  await removeCancelledJobs(deps, result.cancelled)
  await queueMessages(deps, result.mailIds)
  return result.step
}

/** Runs an erasure as far as it can go now: to the end, or to the manual tasks it waits for. */
export async function runErasure(deps: RequestDeps, requestId: string): Promise<ErasureStep> {
  for (let guard = 0; guard < 10; guard++) {
    const before = (await findRequest(deps.db, requestId))?.currentStep
    const step = await erasureStep(deps, requestId)
    if (step === 'done' || (step === 'tasks' && before === 'tasks')) return step
  }
  return 'tasks'
}

/** A manual task done by a named user; the erasure then continues if nothing else is open. */
export async function confirmErasureTask(
  deps: RequestDeps,
  actor: Principal,
  requestId: string,
  taskId: string,
) {
  const confirmed = await deps.db.transaction(async (tx) => {
    const request = await lockOpen(tx, requestId)
    if (request.type !== 'erasure') throw new AppError('request.not_found')
    return confirmTask(tx, requestId, taskId, actor.userId, deps.clock.now())
  })
  if (!confirmed) throw new AppError('request.task_not_found')
  const request = await findRequest(deps.db, requestId)
  if (request?.status === 'in_progress') await runErasure(deps, requestId)
  return getRequest(deps.db, requestId)
}

/**
 * With SparkPost, the provider is asked to suppress the address too, so no campaign from any
 * other path of the account reaches it. Non-transactional only, on purpose: our own mail is sent
 * transactional and stopped by our suppression list before it leaves, while the answer to the
 * erasure request itself (Art. 12(3)), sent after this step, must still get through.
 */
async function suppressAtProvider(deps: Pick<Services, 'config'>, addresses: string[]): Promise<void> {
  if (deps.config.mailTransport !== 'sparkpost' || !deps.config.SPARKPOST_API_KEY || addresses.length === 0)
    return
  const response = await fetch(`${deps.config.SPARKPOST_API_URL}/suppression-list`, {
    method: 'PUT',
    headers: { authorization: deps.config.SPARKPOST_API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({
      recipients: addresses.map((recipient) => ({
        recipient,
        type: 'non_transactional',
        description: 'GDPR Art. 17 erasure',
      })),
    }),
    signal: AbortSignal.timeout(10_000),
  })
  if (!response.ok) throw new Error(`SparkPost suppression list answered ${response.status}`)
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
