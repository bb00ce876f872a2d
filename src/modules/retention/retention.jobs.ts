import type { FastifyInstance } from 'fastify'
import type { JobDefinition } from '../../plugins/workers'
import { scheduleTalentPoolRenewals } from '../talent-pool/talent-pool.service'
import { runRetention } from './retention.service'

export function retentionJobs(app: FastifyInstance): JobDefinition[] {
  return [
    {
      queue: 'maintenance',
      name: 'retention',
      repeat: { pattern: '15 2 * * *' },
      // Data leaves on time without anyone remembering (Art. 5(1)(e)).
      process: async () => {
        const result = await runRetention(app.services)
        return { erasedPeople: result.erasedPeople, erasedCandidacies: result.erasedCandidacies }
      },
    },
    {
      queue: 'maintenance',
      name: 'talent-pool-renewals',
      repeat: { pattern: '0 8 * * *' },
      process: () => scheduleTalentPoolRenewals(app.services),
    },
  ]
}
