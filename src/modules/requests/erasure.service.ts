import { AppError } from '../../lib/problems'
import type { Principal } from '../../plugins/access'
import { jobsToRequeue } from '../../queue/queues'
import type { Services } from '../../services'
import { listPersonCandidacies, lockCandidacies } from '../candidacies/candidacies.service'
import { appendLedgerEvents } from '../ledger/ledger.service'
import { cancelPendingMessages, queueMessages, removeCancelledJobs } from '../messages/messages.service'
import { listEmails, lockPerson } from '../people/people.service'
import { suppress } from '../suppression/suppression.service'
import { deletePersonData, scanForTraces } from './erasure.repository'
import { personContext } from './person-context'
import { outcomeText, requestMail } from './requests.mail'
import {
  confirmTask,
  findRequest,
  insertTasks,
  listTasks,
  lockRequest,
  type SubjectRequestRow,
  stalledErasures,
  updateRequest,
} from './requests.repository'
import { getRequest, lockOpen, type RequestDeps, transition } from './requests.service'

// What retention erases with the same care as an erasure request: through this service.
export { deleteCandidacyData, deletePersonData } from './erasure.repository'

const erasureJobId = (requestId: string) => `erasure-${requestId}`

/** The job id is the request's: queuing it twice (a retried call, the reconciler) is a no-op. */
export async function queueErasure(deps: Pick<Services, 'queues'>, requestId: string): Promise<void> {
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
          await suppress(tx, deps.config.SERVER_SECRET, erasure.addresses, 'erasure', now)
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
              outcome: outcomeText(request.language, 'erasure'),
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
