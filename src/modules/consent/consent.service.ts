import { createHash, randomUUID } from 'node:crypto'
import type { Executor } from '../../db/client'
import type { Language } from '../../lib/languages'
import { pageMessages } from '../../lib/page'
import { AppError } from '../../lib/problems'
import type { Messages } from '../../lib/templates'
import { hashLinkToken, newLinkToken } from '../../lib/tokens'
import type { Principal } from '../../plugins/access'
import type { Services } from '../../services'
import { type CandidacyRow, lockLiveCandidacy, updateCandidacy } from '../candidacies/candidacies.service'
import type { ConsentState } from '../candidacies/candidacies.tables'
import { ENDED_STAGES, effectiveConsentState, owedNoticeStatuses } from '../candidacies/candidacy-rules'
import { recordSystemStage } from '../candidacies/stages.service'
import { findClient } from '../clients/clients.service'
import {
  type Actor,
  appendLedgerEvents,
  appendToLockedChain,
  type LedgerEntry,
} from '../ledger/ledger.service'
import { cancelPendingMessages, removeCancelledJobs } from '../messages/messages.service'
import { listEmails, lockPerson } from '../people/people.service'
import { suppress } from '../suppression/suppression.service'
import { findVacancyDetail } from '../vacancies/vacancies.service'
import {
  findConsentText,
  findLinkContext,
  insertLinkTokens,
  lockAnswerContext,
  storeConsentText,
} from './consent.repository'
import { type IssuedLink, issueLink, linkUrl } from './links.service'

// Links and texts as other modules reach them: through this service, never the repository.
export { findConsentText, storeConsentText } from './consent.repository'

type ConsentDeps = Pick<Services, 'db' | 'clock' | 'config' | 'templates'>
type StopDeps = ConsentDeps & Pick<Services, 'queues'>

const DAY = 86_400_000

/** The consent state as the ledger tells it: the candidacy's column must always agree (a test checks). */
export function consentStateFromLedger(
  events: Array<{ type: string; evidence: Record<string, unknown> }>,
  now: Date,
): ConsentState {
  let state: ConsentState = 'missing'
  let requestExpiresAt: Date | null = null
  for (const event of events) {
    if (event.type === 'consent_requested') {
      state = 'requested'
      requestExpiresAt = new Date(String(event.evidence.expiresAt))
    } else if (event.type === 'consent_given') state = 'given'
    else if (event.type === 'consent_declined') state = 'declined'
    else if (event.type === 'consent_withdrawn') state = 'withdrawn'
  }
  return effectiveConsentState(
    { consentState: state, consentRequestExpiresAt: requestExpiresAt, consentExpiresAt: null },
    now,
  )
}

/** A language's page and mail strings. */
export const messagesFor = (language: Language): Messages => pageMessages(language)

export const contentHash = (body: string) => createHash('sha256').update(body, 'utf8').digest('hex')

/**
 * Renders the text a candidate is asked to agree to (Art. 7(2) clear and plain; Art. 13/14
 * information): who we are, the client, the vacancy and its purpose, data, source, recipients,
 * retention, rights and how to withdraw. It names no candidate.
 */
export async function renderConsentText(
  deps: ConsentDeps,
  db: Executor,
  candidacy: Pick<CandidacyRow, 'vacancyId' | 'sourceType'>,
  language: Language,
): Promise<{ body: string; hash: string }> {
  const vacancy = await findVacancyDetail(db, candidacy.vacancyId)
  const client = vacancy ? await findClient(db, vacancy.clientId) : undefined
  if (!vacancy || !client) throw new AppError('vacancy.not_found')
  const body = deps.templates.text
    .render(`consent/consent-text.${language}.eta`, {
      controller: {
        name: deps.config.CONTROLLER_NAME,
        contact: deps.config.CONTROLLER_CONTACT,
        dpo: deps.config.DPO_CONTACT,
      },
      client: { name: client.name, country: client.country },
      vacancy: { title: vacancy.title, purpose: vacancy.purpose },
      source: messagesFor(language)[`source.${candidacy.sourceType}`],
      retentionDays: vacancy.retentionDays,
      supervisoryAuthority: deps.config.SUPERVISORY_AUTHORITY,
    })
    .trim()
  return { body, hash: contentHash(body) }
}

export interface ConsentRequest {
  consent: IssuedLink
  withdraw: IssuedLink
  consentTextHash: string
  expiresAt: Date
  language: Language
}

/**
 * Asks for consent: stores the exact text by hash, makes the consent and withdraw links, and
 * records consent_requested — all in the caller's transaction. Outreach mail gets its links here
 * too (with tokens derived from its message id, so a retried send carries the same links).
 */
export async function requestConsentInTransaction(
  deps: ConsentDeps,
  tx: Executor,
  actor: Actor,
  candidacyId: string,
  options: { tokens?: { consent: string; withdraw: string }; messageId?: string } = {},
): Promise<ConsentRequest> {
  const { candidacy, vacancy } = await lockLiveCandidacy(tx, candidacyId)
  const person = candidacy.personId ? await lockPerson(tx, candidacy.personId) : undefined
  if (!person) throw new AppError('candidacy.ended')
  if (person.restrictedAt) throw new AppError('person.restricted')
  if (vacancy.status !== 'open') throw new AppError('vacancy.not_open', `The vacancy is ${vacancy.status}.`)
  const now = deps.clock.now()
  const state = effectiveConsentState(candidacy, now)
  if (state === 'given') throw new AppError('consent.already_given')
  if (state === 'declined') throw new AppError('consent.declined')

  const language = person.language
  const text = await renderConsentText(deps, tx, candidacy, language)
  await storeConsentText(tx, { hash: text.hash, language, body: text.body, createdAt: now })
  const expiresAt = new Date(now.getTime() + deps.config.CONSENT_LINK_TTL_DAYS * DAY)
  const consentToken = options.tokens?.consent ?? newLinkToken()
  const consent = {
    id: randomUUID(),
    token: consentToken,
    url: linkUrl(deps.config, 'consent', consentToken),
  }
  await insertLinkTokens(tx, [
    {
      id: consent.id,
      tokenHash: hashLinkToken(consentToken),
      candidacyId,
      action: 'consent',
      consentTextHash: text.hash,
      expiresAt,
      createdAt: now,
    },
  ])
  const withdraw = await issueLink(deps, tx, candidacyId, 'withdraw', options.tokens?.withdraw)
  await appendToLockedChain(
    tx,
    candidacyId,
    candidacy,
    [
      {
        type: 'consent_requested',
        actor,
        occurredAt: now,
        legalBasis: 'consent',
        evidence: {
          consentText: text.hash,
          consentLink: consent.id,
          withdrawLink: withdraw.id,
          expiresAt: expiresAt.toISOString(),
          message: options.messageId ?? null,
        },
      },
    ],
    { consentState: 'requested', consentRequestExpiresAt: expiresAt, updatedAt: now },
  )
  return { consent, withdraw, consentTextHash: text.hash, expiresAt, language }
}

export function requestConsent(
  deps: ConsentDeps,
  actor: Principal,
  candidacyId: string,
): Promise<ConsentRequest> {
  return deps.db.transaction((tx) =>
    requestConsentInTransaction(deps, tx, { type: 'user', userId: actor.userId }, candidacyId),
  )
}

/** What a link page shows after a click, in the person's language. */
export type LinkOutcome =
  | { kind: 'invalid' }
  | { kind: 'consent_form'; language: Language; consentText: string }
  | { kind: 'withdraw_form'; language: Language; objection: boolean }
  | {
      kind: 'state'
      language: Language
      state: 'given' | 'declined' | 'withdrawn' | 'expired' | 'closed' | 'withdraw_done' | 'objection_done'
    }

type LinkContext = NonNullable<Awaited<ReturnType<typeof findLinkContext>>>
/** The part of a link's context that answering it needs (what `lockAnswerContext` reads). */
type AnswerContext = NonNullable<Awaited<ReturnType<typeof lockAnswerContext>>>

/** A link works only for its own action, and only while its person exists (not after erasure). */
function usableLink<Context extends AnswerContext>(
  context: Context | undefined,
  action: 'consent' | 'withdraw',
): context is Context {
  return context !== undefined && context.link.action === action && context.candidacy.personId !== null
}

const languageOf = (context: AnswerContext): Language => context.personLanguage ?? context.vacancy.language

function consentStateOutcome(context: AnswerContext, now: Date, language: Language): LinkOutcome | undefined {
  const { candidacy, link } = context
  if (candidacy.stage === 'withdrawn' || candidacy.stage === 'objected')
    return { kind: 'state', language, state: 'withdrawn' }
  if (ENDED_STAGES.includes(candidacy.stage)) return { kind: 'invalid' }
  const state = effectiveConsentState(candidacy, now)
  if (state === 'given' || state === 'declined') return { kind: 'state', language, state }
  if (link.expiresAt && link.expiresAt <= now) return { kind: 'state', language, state: 'expired' }
  return undefined
}

/** The language of a link's page, for a refusal answered before the link is otherwise read. */
export async function linkLanguage(
  deps: Pick<Services, 'db'>,
  token: string,
  action: 'consent' | 'withdraw',
): Promise<Language | undefined> {
  const context = await findLinkContext(deps.db, hashLinkToken(token))
  return usableLink(context, action) ? languageOf(context) : undefined
}

/** GET of a link: reads only. Mail scanners prefetch links, so looking never changes anything. */
export async function viewLink(
  deps: ConsentDeps,
  token: string,
  action: 'consent' | 'withdraw',
): Promise<LinkOutcome> {
  const context = await findLinkContext(deps.db, hashLinkToken(token))
  if (!usableLink(context, action)) return { kind: 'invalid' }
  const now = deps.clock.now()
  const language = languageOf(context)
  if (action === 'withdraw') {
    if (ENDED_STAGES.includes(context.candidacy.stage)) {
      return context.candidacy.stage === 'erased'
        ? { kind: 'invalid' }
        : { kind: 'state', language, state: 'withdrawn' }
    }
    return { kind: 'withdraw_form', language, objection: withdrawalIsObjection(context) }
  }
  const settled = consentStateOutcome(context, now, language)
  if (settled) return settled
  const text = context.link.consentTextHash
    ? await findConsentText(deps.db, context.link.consentTextHash)
    : undefined
  if (!text) return { kind: 'invalid' }
  return { kind: 'consent_form', language: text.language, consentText: text.body }
}

/** POST of a consent link: records the candidate's answer once; clicking again shows the answer. */
export async function answerConsent(
  deps: ConsentDeps,
  token: string,
  choice: 'consent' | 'decline',
): Promise<LinkOutcome> {
  return deps.db.transaction(async (tx) => {
    const context = await lockAnswerContext(tx, hashLinkToken(token))
    if (!usableLink(context, 'consent')) return { kind: 'invalid' }
    const now = deps.clock.now()
    const language = languageOf(context)
    const settled = consentStateOutcome(context, now, language)
    if (settled) return settled
    const { candidacy, link } = context
    const given = choice === 'consent'
    // Art. 14(3): the consent text carries the Art. 14 information, so whoever answered it was told;
    // the answer's event, naming the text by hash, is the proof. A notice still owed is done.
    const told = owedNoticeStatuses.includes(candidacy.noticeStatus)
    await appendToLockedChain(
      tx,
      candidacy.id,
      candidacy,
      [
        {
          type: given ? 'consent_given' : 'consent_declined',
          actor: { type: 'data_subject' },
          occurredAt: now,
          legalBasis: 'consent',
          // Art. 7(1): the proof is the exact text (by hash) and the link it was given through.
          evidence: { consentText: link.consentTextHash, consentLink: link.id },
        },
      ],
      {
        consentState: given ? 'given' : 'declined',
        updatedAt: now,
        ...(told ? { noticeStatus: 'sent' as const, noticeSentAt: now } : {}),
      },
    )
    return { kind: 'state', language, state: given ? 'given' : 'declined' }
  })
}

/** Without consent to withdraw, the link is the right to object to legitimate-interest processing (Art. 21). */
function withdrawalIsObjection(context: LinkContext): boolean {
  return context.candidacy.consentState !== 'given' && context.vacancy.legalBasis === 'legitimate_interest'
}

export type StopReason = 'withdraw_link' | 'one_click_unsubscribe'

/**
 * POST of a withdraw link, or the one-click unsubscribe of RFC 8058: ends the candidacy at once.
 * Consent given → consent_withdrawn; a consent vacancy not yet answered → consent_declined; a
 * legitimate-interest candidacy → objection, and the address is suppressed (Art. 21(3)).
 */
export async function withdrawByLink(deps: StopDeps, token: string, via: StopReason): Promise<LinkOutcome> {
  const { outcome, cancelled } = await deps.db.transaction(async (tx) => {
    const context = await findLinkContext(tx, hashLinkToken(token), true)
    if (!usableLink(context, 'withdraw')) return { outcome: { kind: 'invalid' } as const, cancelled: [] }
    const language = languageOf(context)
    const objection = withdrawalIsObjection(context)
    const done = { kind: 'state', language, state: objection ? 'objection_done' : 'withdraw_done' } as const
    // Clicking again shows what was done then (a withdrawal leaves consent `withdrawn`, which would
    // otherwise read as an objection), and changes nothing.
    if (ENDED_STAGES.includes(context.candidacy.stage)) {
      const state: 'objection_done' | 'withdraw_done' =
        context.candidacy.stage === 'objected' ? 'objection_done' : 'withdraw_done'
      return { outcome: { ...done, state }, cancelled: [] }
    }
    const cancelled = await stopCandidacy(deps, tx, context.candidacy, {
      type: objection
        ? 'objection'
        : context.candidacy.consentState === 'given'
          ? 'consent_withdrawn'
          : 'consent_declined',
      actor: { type: 'data_subject' },
      evidence: { link: context.link.id, via },
    })
    return { outcome: done, cancelled }
  })
  await removeCancelledJobs(deps, cancelled)
  return outcome
}

/**
 * Ends a candidacy the person asked to stop, in the caller's transaction with its row locked:
 * the ledger event, the stage (withdrawn or objected), suppression for objections, and the
 * cancellation of anything queued for it.
 */
export async function stopCandidacy(
  deps: Pick<Services, 'clock' | 'config'>,
  tx: Executor,
  candidacy: CandidacyRow,
  event: {
    type: 'consent_withdrawn' | 'consent_declined' | 'objection'
    actor: Actor
    evidence: LedgerEntry['evidence']
  },
): Promise<string[]> {
  const now = deps.clock.now()
  const objection = event.type === 'objection'
  await appendLedgerEvents(tx, candidacy.id, [
    {
      type: event.type,
      actor: event.actor,
      occurredAt: now,
      legalBasis: objection ? 'legitimate_interest' : 'consent',
      evidence: event.evidence ?? {},
    },
  ])
  await recordSystemStage(tx, candidacy, objection ? 'objected' : 'withdrawn', now)
  await updateCandidacy(tx, candidacy.id, {
    consentState:
      event.type === 'consent_withdrawn'
        ? 'withdrawn'
        : event.type === 'consent_declined'
          ? 'declined'
          : candidacy.consentState,
    updatedAt: now,
  })
  if (objection && candidacy.personId) {
    const emails = await listEmails(tx, [candidacy.personId])
    await suppress(
      tx,
      deps.config.SERVER_SECRET,
      emails.map((email) => email.normalized),
      'objection',
      now,
    )
  }
  return cancelPendingMessages(tx, candidacy.id, 'candidacy_stopped', now)
}
