import { and, desc, eq, gte, lt } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { prepared } from '../../db/prepared'
import { accessLog } from './audit.tables'

export type AccessLogRow = typeof accessLog.$inferSelect
export type NewAccessLogEntry = typeof accessLog.$inferInsert

export async function insertAccessLog(db: Executor, entries: NewAccessLogEntry[]): Promise<void> {
  if (entries.length > 0) await prepared(db.insert(accessLog).values(entries))
}

export function listAccessLog(
  db: Executor,
  filter: {
    personId?: string | undefined
    userId?: string | undefined
    from?: Date | undefined
    to?: Date | undefined
    limit: number
    offset: number
  },
): Promise<AccessLogRow[]> {
  return db
    .select()
    .from(accessLog)
    .where(
      and(
        filter.personId ? eq(accessLog.personId, filter.personId) : undefined,
        filter.userId ? eq(accessLog.userId, filter.userId) : undefined,
        filter.from ? gte(accessLog.at, filter.from) : undefined,
        filter.to ? lt(accessLog.at, filter.to) : undefined,
      ),
    )
    .orderBy(desc(accessLog.at), desc(accessLog.id))
    .limit(filter.limit)
    .offset(filter.offset)
}
