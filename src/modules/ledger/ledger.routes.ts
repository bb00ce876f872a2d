import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { responses } from '../../lib/schemas'
import { allow } from '../../plugins/access'
import { verificationView } from './ledger.schemas'
import { verifyLedger } from './ledger.service'

export const ledgerRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['ledger']

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
