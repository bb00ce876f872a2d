import type { Executor } from '../../db/client'
import type { Clock } from '../../lib/clock'
import { toCsv } from '../../lib/csv'
import type { Principal } from '../../plugins/access'
import { type AccessLogRow, insertAccessLog } from './audit.repository'

// The access log as the DPO reads it.
export { listAccessLog } from './audit.repository'

import type { AccessAction } from './audit.tables'

export interface AccessRecord {
  personId: string
  candidacyId?: string | null
}

/** Every read or export of a person's data is written down: who, whose, through which route, when. */
export function logAccess(
  { db, clock }: { db: Executor; clock: Clock },
  principal: Principal,
  action: AccessAction,
  route: string,
  records: AccessRecord[],
): Promise<void> {
  const at = clock.now()
  return insertAccessLog(
    db,
    records.map((record) => ({
      userId: principal.userId,
      personId: record.personId,
      candidacyId: record.candidacyId ?? null,
      action,
      route,
      at,
    })),
  )
}

/** The access log as a DPO's CSV export: one row per read, newest first. */
export function accessLogCsv(entries: AccessLogRow[]): string {
  return toCsv([
    ['at', 'userId', 'action', 'route', 'personId', 'candidacyId'],
    ...entries.map((e) => [e.at.toISOString(), e.userId, e.action, e.route, e.personId, e.candidacyId]),
  ])
}
