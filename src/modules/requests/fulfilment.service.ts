import type { Executor } from '../../db/client'
import { AppError } from '../../lib/problems'
import type { Principal } from '../../plugins/access'
import { logAccess } from '../audit/audit.service'
import { lockCandidacyContext } from '../candidacies/candidacies.service'
import { ENDED_STAGES } from '../candidacies/candidacy-rules'
import { stopCandidacy } from '../consent/consent.service'
import { appendLedgerEvents } from '../ledger/ledger.service'
import { cancelPendingMessages, queueMessages, removeCancelledJobs } from '../messages/messages.service'
import { updatePerson } from '../people/people.service'
import { queueErasure } from './erasure.service'
import { personContext, personTransaction } from './person-context'
import { outcomeText, requestMail } from './requests.mail'
import { buildAccessPackage } from './requests.package'
import { type SubjectRequestRow, storeArtefact, updateRequest } from './requests.repository'
import { getRequest, lockOpen, type RequestDeps, transition } from './requests.service'

const DAY = 86_400_000
const ACCESS_DOWNLOAD_DAYS = 14

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
      outcome: context
        ? outcomeText(request.language, 'access')
        : `${outcomeText(request.language, 'none')} ${outcomeText(request.language, 'access')}`,
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
  const outcome = outcomeText(
    request.language,
    context ? (request.type as 'restriction' | 'objection' | 'rectification') : 'none',
  )
  const mailId = await requestMail(deps, tx, request, 'request_completed', { outcome })
  await done({ result: { outcome: request.type } })
  return { mailIds: mailId ? [mailId] : [], cancelled, startErasure: false }
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
