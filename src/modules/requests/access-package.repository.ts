import { and, asc, eq, inArray, isNull, or, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { accessLog } from '../audit/audit.tables'
import { users } from '../auth/auth.tables'
import { candidacies, facts } from '../candidacies/candidacies.tables'
import { clients, processingAgreements } from '../clients/clients.tables'
import { ledgerEvents } from '../ledger/ledger.tables'
import { messages } from '../messages/messages.tables'
import { people, personEmails, personIdentifiers } from '../people/people.tables'
import { trackingEvents } from '../tracking/tracking.tables'
import { vacancies } from '../vacancies/vacancies.tables'
import { subjectRequests } from './requests.tables'

/**
 * Every row that names or concerns a person, read for their access request (Art. 15, 20): a read
 * model across the modules' tables, in a few round trips.
 */
export async function personHoldings(db: Executor, personId: string) {
  const [person] = await db.select().from(people).where(eq(people.id, personId))
  if (!person) return undefined
  const [emails, identifiers, rows, log, requests] = await Promise.all([
    db.select().from(personEmails).where(eq(personEmails.personId, person.id)),
    db.select().from(personIdentifiers).where(eq(personIdentifiers.personId, person.id)),
    db
      .select({ candidacy: candidacies, vacancy: vacancies, client: clients })
      .from(candidacies)
      .innerJoin(vacancies, eq(vacancies.id, candidacies.vacancyId))
      .innerJoin(clients, eq(clients.id, vacancies.clientId))
      .where(eq(candidacies.personId, person.id))
      .orderBy(asc(candidacies.createdAt)),
    db
      .select({
        at: accessLog.at,
        action: accessLog.action,
        route: accessLog.route,
        role: users.role,
        by: users.displayName,
      })
      .from(accessLog)
      .innerJoin(users, eq(users.id, accessLog.userId))
      .where(eq(accessLog.personId, person.id))
      .orderBy(asc(accessLog.at), asc(accessLog.id)),
    db
      .select({
        type: subjectRequests.type,
        status: subjectRequests.status,
        receivedAt: subjectRequests.receivedAt,
      })
      .from(subjectRequests)
      .where(eq(subjectRequests.personId, person.id)),
  ])
  const candidacyIds = rows.map((row) => row.candidacy.id)
  const addresses = emails.map((email) => email.normalized)
  const clientIds = [...new Set(rows.map((row) => row.client.id))]
  const [factRows, events, mail, agreements] = await Promise.all([
    candidacyIds.length
      ? db.select().from(facts).where(inArray(facts.candidacyId, candidacyIds)).orderBy(asc(facts.createdAt))
      : [],
    candidacyIds.length
      ? db
          .select()
          .from(ledgerEvents)
          .where(inArray(ledgerEvents.candidacyId, candidacyIds))
          .orderBy(asc(ledgerEvents.candidacyId), asc(ledgerEvents.seq))
      : [],
    // Mail about a candidacy, and mail to their address about no candidacy (their requests, the
    // talent pool): as erasure finds it. Staff mail about their requests goes to staff, not here.
    candidacyIds.length || addresses.length
      ? db
          .select()
          .from(messages)
          .where(
            or(
              candidacyIds.length ? inArray(messages.candidacyId, candidacyIds) : undefined,
              addresses.length
                ? and(isNull(messages.candidacyId), inArray(sql`lower(${messages.toAddress})`, addresses))
                : undefined,
            ),
          )
          .orderBy(asc(messages.queuedAt), asc(messages.id))
      : [],
    clientIds.length
      ? db.select().from(processingAgreements).where(inArray(processingAgreements.clientId, clientIds))
      : [],
  ])
  const messageIds = mail.map((message) => message.id)
  const tracking = messageIds.length
    ? await db
        .select()
        .from(trackingEvents)
        .where(inArray(trackingEvents.messageId, messageIds))
        .orderBy(asc(trackingEvents.occurredAt))
    : []
  return { person, emails, identifiers, rows, log, requests, factRows, events, mail, agreements, tracking }
}

export type PersonHoldings = NonNullable<Awaited<ReturnType<typeof personHoldings>>>
