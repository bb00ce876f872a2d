import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../lib/problems'
import { dateOut, idParams, responses } from '../../lib/schemas'
import { allow } from '../../plugins/access'
import { findCandidacyContext } from '../candidacies/candidacies.repository'
import { legalBases } from '../vacancies/vacancies.tables'
import { listCandidacyEvents } from './ledger.repository'
import { verifyLedger } from './ledger.service'
import { actorTypes, ledgerEventTypes } from './ledger.tables'

const ledgerEventView = z
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

const verificationView = z
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

export const ledgerRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['ledger']

  app.get(
    '/candidacies/:id/ledger',
    {
      config: allow('recruiter', 'dpo', 'admin'),
      schema: {
        tags,
        summary: "A candidacy's ledger: every basis, notice, consent and change, hash-chained",
        params: idParams,
        response: responses({ 200: z.array(ledgerEventView) }, [404]),
      },
    },
    async (request) => {
      if (!(await findCandidacyContext(app.db, request.params.id))) throw new AppError('candidacy.not_found')
      return listCandidacyEvents(app.db, request.params.id)
    },
  )

  app.get(
    '/ledger/verify',
    {
      config: allow('dpo', 'admin'),
      schema: {
        tags,
        summary: 'Walk every chain and report the first broken link of each (Art. 5(2) accountability)',
        response: responses({ 200: verificationView }),
      },
    },
    async () => verifyLedger(app.db),
  )
}
