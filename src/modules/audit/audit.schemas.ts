import { z } from 'zod'
import { dateOut } from '../../lib/schemas'
import { accessActions } from './audit.tables'

/** One read or export of personal data, as the access log answers it. */
export const accessEntryView = z
  .object({
    id: z.number().int(),
    userId: z.uuid(),
    personId: z.uuid().nullable(),
    candidacyId: z.uuid().nullable(),
    action: z.enum(accessActions),
    route: z.string(),
    at: dateOut,
  })
  .meta({ id: 'AccessLogEntry' })
