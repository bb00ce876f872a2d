import { z } from 'zod'
import { dateOut } from '../../lib/schemas'
import { legalBases } from '../vacancies/vacancies.tables'
import { actorTypes, ledgerEventTypes } from './ledger.tables'

export const ledgerEventView = z
  .object({
    seq: z.number().int(),
    type: z.enum(ledgerEventTypes),
    legalBasis: z.enum(legalBases).nullable(),
    actorType: z.enum(actorTypes),
    actorId: z.uuid().nullable(),
    evidence: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    occurredAt: dateOut,
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'LedgerEvent' })

export const verificationView = z
  .object({
    valid: z.boolean(),
    chains: z.number().int(),
    events: z.number().int(),
    breaks: z.array(
      z.object({
        candidacyId: z.uuid(),
        seq: z.number().int(),
        reason: z.enum(['hash_mismatch', 'prev_hash_mismatch', 'sequence_gap']),
      }),
    ),
  })
  .meta({ id: 'LedgerVerification' })
