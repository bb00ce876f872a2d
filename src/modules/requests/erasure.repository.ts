import { and, eq, inArray, isNull, or, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { queryRows } from '../../db/client'
import { candidacies, facts, stageChanges } from '../candidacies/candidacies.tables'
import { linkTokens } from '../consent/consent.tables'
import { messages } from '../messages/messages.tables'
import { people } from '../people/people.tables'
import { trackingEvents } from '../tracking/tracking.tables'
import { requestArtefacts, subjectRequests } from './requests.tables'

/**
 * Removes everything held about one person, in the caller's transaction. Candidacies stay as
 * tombstones (no person, no source URL) so their ledgers still prove what happened.
 */
export async function deletePersonData(
  tx: Executor,
  input: {
    personId: string
    candidacyIds: string[]
    addresses: string[]
    keepMessageIds: string[]
    at: Date
  },
): Promise<Record<string, number>> {
  const { personId, candidacyIds, addresses, at } = input
  const counts: Record<string, number> = {}
  const count = async (name: string, rows: Promise<unknown[]>) => {
    counts[name] = (await rows).length
  }
  const personMessages = or(
    candidacyIds.length > 0 ? inArray(messages.candidacyId, candidacyIds) : undefined,
    addresses.length > 0 ? inArray(sql`lower(${messages.toAddress})`, addresses) : undefined,
  )
  const messageIds = (
    await tx
      .select({ id: messages.id })
      .from(messages)
      .where(personMessages ?? sql`false`)
  )
    .map((row) => row.id)
    .filter((id) => !input.keepMessageIds.includes(id))

  // Provider events: about their messages, their candidacies, or to their address without a match.
  await count(
    'tracking_events',
    tx
      .delete(trackingEvents)
      .where(
        or(
          messageIds.length > 0 ? inArray(trackingEvents.messageId, messageIds) : undefined,
          candidacyIds.length > 0 ? inArray(trackingEvents.candidacyId, candidacyIds) : undefined,
          addresses.length > 0
            ? and(
                isNull(trackingEvents.messageId),
                inArray(sql`lower(${trackingEvents.payload}->>'rcpt_to')`, addresses),
              )
            : undefined,
        ) ?? sql`false`,
      )
      .returning({ id: trackingEvents.eventId }),
  )
  await count(
    'messages',
    messageIds.length > 0
      ? tx.delete(messages).where(inArray(messages.id, messageIds)).returning({ id: messages.id })
      : Promise.resolve([]),
  )
  Object.assign(counts, await clearCandidacies(tx, candidacyIds, at))
  // Their other requests keep dates and outcome, not what identifies them; access answers go.
  const requestIds = (
    await tx
      .select({ id: subjectRequests.id })
      .from(subjectRequests)
      .where(eq(subjectRequests.personId, personId))
  ).map((row) => row.id)
  if (requestIds.length > 0) {
    await count(
      'request_artefacts',
      tx
        .delete(requestArtefacts)
        .where(inArray(requestArtefacts.requestId, requestIds))
        .returning({ id: requestArtefacts.requestId }),
    )
    await tx
      .update(subjectRequests)
      .set({ note: null, updatedAt: at })
      .where(inArray(subjectRequests.id, requestIds))
  }
  // Addresses, identifiers (cascade) and the person; the access log keeps who looked, not at whom.
  await count('people', tx.delete(people).where(eq(people.id, personId)).returning({ id: people.id }))
  return counts
}

/** Every column that can hold text about a person: what the no-trace check reads. */
export async function textColumns(db: Executor): Promise<Array<{ table: string; column: string }>> {
  const rows = await queryRows<{ table_name: string; column_name: string }>(
    db,
    sql`select c.table_name, c.column_name from information_schema.columns c
        join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
        where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
          and c.data_type in ('text', 'character varying', 'json', 'jsonb', 'ARRAY')
        order by c.table_name, c.column_name`,
  )
  return rows.map((row) => ({ table: row.table_name, column: row.column_name }))
}

const likePattern = (needle: string) => `%${needle.replace(/[\\%_]/g, (char) => `\\${char}`)}%`

/**
 * Art. 17 proof: searches every text and JSON column of every table for the person's addresses,
 * name and phone. Returns where something was found (table.column and a count), never the values.
 */
export async function scanForTraces(
  db: Executor,
  needles: string[],
): Promise<{ columns: number; found: Array<{ column: string; rows: number }> }> {
  const patterns = [
    ...new Set(
      needles.filter((needle) => needle.trim().length >= 3).map((needle) => likePattern(needle.trim())),
    ),
  ]
  const columns = await textColumns(db)
  const found: Array<{ column: string; rows: number }> = []
  if (patterns.length === 0) return { columns: columns.length, found }
  for (const { table, column } of columns) {
    const [row] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from ${sql.identifier(table)}
          where ${sql.identifier(column)}::text ilike any(array[${sql.join(
            patterns.map((pattern) => sql`${pattern}`),
            sql`, `,
          )}]::text[])`,
    )
    if (row && row.n > 0) found.push({ column: `${table}.${column}`, rows: row.n })
  }
  return { columns: columns.length, found }
}

/**
 * Removes what one candidacy holds while its person stays for others: its facts, decisions,
 * links, mail and provider events; the candidacy stays as a tombstone for its ledger.
 */
export async function deleteCandidacyData(tx: Executor, candidacyIds: string[], at: Date): Promise<void> {
  if (candidacyIds.length === 0) return
  const messageIds = (
    await tx.select({ id: messages.id }).from(messages).where(inArray(messages.candidacyId, candidacyIds))
  ).map((row) => row.id)
  await tx
    .delete(trackingEvents)
    .where(
      or(
        inArray(trackingEvents.candidacyId, candidacyIds),
        messageIds.length > 0 ? inArray(trackingEvents.messageId, messageIds) : undefined,
      )!,
    )
  if (messageIds.length > 0) await tx.delete(messages).where(inArray(messages.id, messageIds))
  await clearCandidacies(tx, candidacyIds, at)
}

/** What a candidacy holds beyond its ledger: facts, decisions, links; the row becomes a tombstone. */
async function clearCandidacies(
  tx: Executor,
  candidacyIds: string[],
  at: Date,
): Promise<Record<string, number>> {
  if (candidacyIds.length === 0) return {}
  const removed = async (rows: Promise<unknown[]>) => (await rows).length
  return {
    facts: await removed(
      tx.delete(facts).where(inArray(facts.candidacyId, candidacyIds)).returning({ id: facts.id }),
    ),
    stage_changes: await removed(
      tx
        .delete(stageChanges)
        .where(inArray(stageChanges.candidacyId, candidacyIds))
        .returning({ id: stageChanges.id }),
    ),
    link_tokens: await removed(
      tx
        .delete(linkTokens)
        .where(inArray(linkTokens.candidacyId, candidacyIds))
        .returning({ id: linkTokens.id }),
    ),
    candidacies: await removed(
      tx
        .update(candidacies)
        .set({
          personId: null,
          stage: 'erased',
          sourceUrl: null,
          stageChangedAt: at,
          stageChangedBy: null,
          updatedAt: at,
        })
        .where(inArray(candidacies.id, candidacyIds))
        .returning({ id: candidacies.id }),
    ),
  }
}
