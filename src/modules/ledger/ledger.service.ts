import type { Executor } from '../../db/client'
import { AppError } from '../../lib/problems'
import type { LegalBasis } from '../vacancies/vacancies.tables'
import {
  type ChainBreak,
  type ChainedEvent,
  chainHash,
  type Evidence,
  GENESIS_HASH,
  verifyChain,
} from './ledger.chain'
import {
  type ChainHead,
  insertLedgerEvents,
  type LedgerEventRow,
  listEventsAfter,
  lockChainHead,
  type NewLedgerEvent,
  setChainHead,
} from './ledger.repository'
import type { LedgerEventType } from './ledger.tables'

/** Who caused an event. A user is named by id; a data subject only by the link they used (in the evidence). */
// A chain's events as they are stored; a new chain's events are inserted as built by `genesisEvents`.
export { insertLedgerEvents, type LedgerEventRow, listCandidacyEvents } from './ledger.repository'

export type Actor =
  | { type: 'user'; userId: string }
  | { type: 'data_subject' }
  | { type: 'system' }
  | { type: 'mail_provider' }

export interface LedgerEntry {
  type: LedgerEventType
  actor: Actor
  occurredAt: Date
  legalBasis?: LegalBasis | null
  /** Ids, hashes and codes only — a test searches the ledger for names and addresses. */
  evidence?: Evidence
}

/** Builds the next links of a chain from its head; pure, so callers that already hold the lock save a query. */
export function chainEvents(
  candidacyId: string,
  head: ChainHead,
  entries: LedgerEntry[],
): {
  rows: NewLedgerEvent[]
  seq: number
  hash: string
} {
  let prevHash = head.ledgerHead
  let seq = head.ledgerSeq
  const rows = entries.map((entry) => {
    seq++
    const event: ChainedEvent = {
      candidacyId,
      vacancyId: head.vacancyId,
      seq,
      type: entry.type,
      legalBasis: entry.legalBasis ?? null,
      actorType: entry.actor.type,
      actorId: entry.actor.type === 'user' ? entry.actor.userId : null,
      evidence: entry.evidence ?? {},
      occurredAt: entry.occurredAt,
    }
    const hash = chainHash(prevHash, event)
    const row: NewLedgerEvent = { ...event, prevHash, hash }
    prevHash = hash
    return row
  })
  return { rows, seq, hash: prevHash }
}

/** The first events of a new candidacy, before its row exists: the row is inserted with this head. */
export function genesisEvents(candidacyId: string, vacancyId: string, entries: LedgerEntry[]) {
  return chainEvents(candidacyId, { vacancyId, ledgerSeq: 0, ledgerHead: GENESIS_HASH }, entries)
}

/**
 * Appends to a chain whose candidacy row this transaction has already locked (FOR UPDATE).
 * `changes` to the candidacy that the events record go into the same UPDATE as the new head,
 * and both statements are sent together (one round trip).
 */
export async function appendToLockedChain(
  tx: Executor,
  candidacyId: string,
  head: ChainHead,
  entries: LedgerEntry[],
  changes: Parameters<typeof setChainHead>[4] = {},
): Promise<{ seq: number; hash: string }> {
  const { rows, seq, hash } = chainEvents(candidacyId, head, entries)
  await Promise.all([insertLedgerEvents(tx, rows), setChainHead(tx, candidacyId, seq, hash, changes)])
  return { seq, hash }
}

/**
 * The one way events enter the ledger: locks the candidacy, chains and inserts. Call it inside
 * the transaction that makes the change it records, so the change and its proof commit together.
 */
export async function appendLedgerEvents(
  tx: Executor,
  candidacyId: string,
  entries: LedgerEntry[],
): Promise<{ seq: number; hash: string }> {
  const head = await lockChainHead(tx, candidacyId)
  if (!head) throw new AppError('candidacy.not_found')
  return appendToLockedChain(tx, candidacyId, head, entries)
}

export interface LedgerVerification {
  chains: number
  events: number
  valid: boolean
  /** The first broken link of each broken chain. */
  breaks: ChainBreak[]
}

/** Walks every chain in the ledger (Art. 5(2)): recomputes each hash from the stored events. */
export async function verifyLedger(db: Executor, pageSize = 5000): Promise<LedgerVerification> {
  const breaks: ChainBreak[] = []
  let chains = 0
  let events = 0
  let current: LedgerEventRow[] = []
  const finishChain = () => {
    if (current.length === 0) return
    chains++
    const broken = verifyChain(current)
    if (broken) breaks.push(broken)
    current = []
  }
  let after: { candidacyId: string; seq: number } | null = null
  for (;;) {
    const page = await listEventsAfter(db, after, pageSize)
    for (const row of page) {
      if (current.length > 0 && current[0]!.candidacyId !== row.candidacyId) finishChain()
      current.push(row)
      events++
    }
    if (page.length < pageSize) break
    const last = page.at(-1)!
    after = { candidacyId: last.candidacyId, seq: last.seq }
  }
  finishChain()
  return { chains, events, valid: breaks.length === 0, breaks }
}
