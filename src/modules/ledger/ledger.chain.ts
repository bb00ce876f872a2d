import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import type { LegalBasis } from '../vacancies/vacancies.tables'
import type { ActorType, LedgerEventType } from './ledger.tables'

export const GENESIS_HASH = '0'.repeat(64)

export type Evidence = Record<string, string | number | boolean | null>

/** The hashed content of an event: everything but its own hash and database id. */
export interface ChainedEvent {
  candidacyId: string
  vacancyId: string
  seq: number
  type: LedgerEventType
  legalBasis: LegalBasis | null
  actorType: ActorType
  actorId: string | null
  evidence: Evidence
  occurredAt: Date
}

/** SHA-256 over the previous hash and the RFC 8785 (JCS) canonical form of the event. */
export function chainHash(prevHash: string, event: ChainedEvent): string {
  const canonical = canonicalize({ ...event, occurredAt: event.occurredAt.toISOString() })
  return createHash('sha256').update(`${prevHash}\n${canonical}`).digest('hex')
}

export interface ChainBreak {
  candidacyId: string
  seq: number
  reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'sequence_gap'
}

/** Walks one candidacy's events in order; the first broken link, or null when the chain holds. */
export function verifyChain(
  events: Array<ChainedEvent & { prevHash: string; hash: string }>,
): ChainBreak | null {
  let prevHash = GENESIS_HASH
  let expectedSeq = 1
  for (const event of events) {
    // Exactly the hashed fields: a stored row also carries its database id.
    const content: ChainedEvent = {
      candidacyId: event.candidacyId,
      vacancyId: event.vacancyId,
      seq: event.seq,
      type: event.type,
      legalBasis: event.legalBasis,
      actorType: event.actorType,
      actorId: event.actorId,
      evidence: event.evidence,
      occurredAt: event.occurredAt,
    }
    const { hash, prevHash: storedPrev } = event
    const at = { candidacyId: event.candidacyId, seq: event.seq }
    if (event.seq !== expectedSeq) return { ...at, reason: 'sequence_gap' }
    if (storedPrev !== prevHash) return { ...at, reason: 'prev_hash_mismatch' }
    if (chainHash(prevHash, content) !== hash) return { ...at, reason: 'hash_mismatch' }
    prevHash = hash
    expectedSeq++
  }
  return null
}
