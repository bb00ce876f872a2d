import type { Executor } from '../../db/client'
import type { Language } from '../../lib/languages'
import { AppError } from '../../lib/problems'
import { hashLinkToken, newLinkToken } from '../../lib/tokens'
import type { Principal } from '../../plugins/access'
import type { Services } from '../../services'
import { contentHash, findConsentText, storeConsentText } from '../consent/consent.service'
import { findLink, insertLinkTokens, linkUrl } from '../consent/links.service'
import { queueMessages } from '../messages/messages.service'
import { recordDirectMail } from '../outreach/direct-mail.service'
import { findPerson, listEmails } from '../people/people.service'
import {
  insertMembership,
  lockRequestedMembership,
  membershipsEndingBy,
  updateMembership,
} from './talent-pool.repository'

type TalentPoolDeps = Pick<Services, 'db' | 'clock' | 'config' | 'templates' | 'queues'>

/** Art. 5(1)(e): a talent-pool consent lasts at most 12 months, then is renewed by the person or ends. */
export const TALENT_POOL_MONTHS = 12
const DAY = 86_400_000

function renderText(deps: Pick<Services, 'config' | 'templates'>, language: Language) {
  const body = deps.templates.text
    .render(`consent/talent-pool-text.${language}.eta`, {
      controller: {
        name: deps.config.CONTROLLER_NAME,
        contact: deps.config.CONTROLLER_CONTACT,
        dpo: deps.config.DPO_CONTACT,
      },
      months: TALENT_POOL_MONTHS,
      supervisoryAuthority: deps.config.SUPERVISORY_AUTHORITY,
    })
    .trim()
  return { body, hash: contentHash(body) }
}

/** Stores the text and a pending membership; returns what the link needs. */
async function openRequest(
  deps: TalentPoolDeps,
  tx: Executor,
  personId: string,
  language: Language,
  requestedBy: string | null,
) {
  const now = deps.clock.now()
  const text = renderText(deps, language)
  await storeConsentText(tx, { hash: text.hash, language, body: text.body, createdAt: now })
  await insertMembership(tx, {
    personId,
    status: 'requested',
    consentTextHash: text.hash,
    requestedAt: now,
    requestedBy,
  })
  return {
    consentTextHash: text.hash,
    linkExpiresAt: new Date(now.getTime() + deps.config.CONSENT_LINK_TTL_DAYS * DAY),
  }
}

/** Asks a person to be kept for future vacancies: a link like the vacancy consent, with its own text. */
export async function requestTalentPool(deps: TalentPoolDeps, actor: Principal, personId: string) {
  return deps.db.transaction(async (tx) => {
    const person = await findPerson(tx, personId)
    if (!person) throw new AppError('person.not_found')
    if (person.restrictedAt) throw new AppError('person.restricted')
    const request = await openRequest(deps, tx, personId, person.language, actor.userId)
    const token = newLinkToken()
    await insertLinkTokens(tx, [
      {
        tokenHash: hashLinkToken(token),
        personId,
        action: 'talent_pool',
        consentTextHash: request.consentTextHash,
        expiresAt: request.linkExpiresAt,
        createdAt: deps.clock.now(),
      },
    ])
    return { url: linkUrl(deps.config, 'talent_pool', token), ...request }
  })
}

export type TalentPoolOutcome =
  | { kind: 'invalid' }
  | { kind: 'form'; language: Language; text: string }
  | { kind: 'answered'; language: Language; given: boolean }

export async function viewTalentPoolLink(deps: TalentPoolDeps, token: string): Promise<TalentPoolOutcome> {
  const link = await findLink(deps.db, hashLinkToken(token))
  const person = link?.personId ? await findPerson(deps.db, link.personId) : undefined
  if (link?.action !== 'talent_pool' || !person || !link.consentTextHash) return { kind: 'invalid' }
  if (link.expiresAt && link.expiresAt <= deps.clock.now()) return { kind: 'invalid' }
  const text = await findConsentText(deps.db, link.consentTextHash)
  return text ? { kind: 'form', language: person.language, text: text.body } : { kind: 'invalid' }
}

/** The person's answer: consent runs 12 months from now; declining keeps nothing for later vacancies. */
export async function answerTalentPool(
  deps: TalentPoolDeps,
  token: string,
  given: boolean,
): Promise<TalentPoolOutcome> {
  return deps.db.transaction(async (tx) => {
    const link = await findLink(tx, hashLinkToken(token))
    const person = link?.personId ? await findPerson(tx, link.personId) : undefined
    if (link?.action !== 'talent_pool' || !person || !link.consentTextHash) return { kind: 'invalid' }
    const now = deps.clock.now()
    if (link.expiresAt && link.expiresAt <= now) return { kind: 'invalid' }
    const membership = await lockRequestedMembership(tx, person.id, link.consentTextHash)
    if (!membership) return { kind: 'answered', language: person.language, given }
    const expiresAt = new Date(now)
    expiresAt.setUTCMonth(expiresAt.getUTCMonth() + TALENT_POOL_MONTHS)
    await updateMembership(tx, membership.id, {
      status: given ? 'given' : 'declined',
      answeredVia: link.id,
      answeredAt: now,
      expiresAt: given ? expiresAt : null,
    })
    return { kind: 'answered', language: person.language, given }
  })
}

/**
 * One month before a talent-pool consent ends, the person is asked to renew (once per period).
 * Without an answer, the retention job erases them at expiry.
 */
export async function scheduleTalentPoolRenewals(deps: TalentPoolDeps): Promise<number> {
  const now = deps.clock.now()
  const due = await membershipsEndingBy(deps.db, now, new Date(now.getTime() + 31 * DAY))
  let queued = 0
  for (const membership of due) {
    const ids = await deps.db.transaction(async (tx) => {
      const person = await findPerson(tx, membership.personId)
      const address = (await listEmails(tx, [membership.personId])).find(
        (email) => email.undeliverableAt === null,
      )
      await updateMembership(tx, membership.id, { renewalRequestedAt: now })
      if (!person || !address) return []
      const request = await openRequest(deps, tx, person.id, person.language, null)
      const id = await recordDirectMail(deps, tx, {
        template: 'talent_pool_renewal',
        to: address.address,
        language: person.language,
        dedupeKey: `once:talent_pool_renewal:${membership.id}`,
        talentPool: {
          personId: person.id,
          consentTextHash: request.consentTextHash,
          linkExpiresAt: membership.expiresAt!,
        },
        facts: { person: { fullName: person.fullName }, talentPoolExpiresAt: membership.expiresAt },
      })
      return id ? [id] : []
    })
    await queueMessages(deps, ids)
    queued += ids.length
  }
  return queued
}
