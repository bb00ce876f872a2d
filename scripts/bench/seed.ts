import { insertUser } from '../../src/modules/auth/auth.repository'
import { createClient, recordAgreement } from '../../src/modules/clients/clients.service'
import {
  approveVacancyAssessment,
  changeVacancy,
  createVacancy,
  recordAssessment,
} from '../../src/modules/vacancies/vacancies.service'
import type { Principal } from '../../src/plugins/access'
import type { BenchContext } from './run'

/** An open vacancy (legitimate interest unless told) and a recruiter token, made through the services. */
export async function seedVacancy(
  context: BenchContext,
  legalBasis: 'legitimate_interest' | 'consent' = 'legitimate_interest',
): Promise<{ vacancyId: string; token: string; recruiter: Principal }> {
  const { database, clock } = context
  const deps = { db: database.db, clock }
  const user = await insertUser(database.db, {
    email: `bench-${Date.now()}@candor.bench`,
    passwordHash: 'unusable',
    role: 'recruiter',
    displayName: 'Bench recruiter',
    createdAt: clock.now(),
  })
  const recruiter: Principal = { userId: user!.id, role: 'recruiter', clientId: null }
  const dpo: Principal = { userId: user!.id, role: 'dpo', clientId: null }
  const client = await createClient(deps, { name: 'Bench B.V.', country: 'NL' })
  await recordAgreement(deps, recruiter, client.id, {
    version: '1',
    signedAt: clock.now(),
    role: 'controller',
    documentRef: 'bench',
  })
  const vacancy = await createVacancy(deps, recruiter, {
    clientId: client.id,
    title: 'Bench engineer',
    purpose: 'Recruiting a benchmark engineer for the client, this role only.',
    language: 'en',
    legalBasis,
    retentionDays: 28,
    processesSpecialCategories: false,
    profiling: false,
  })
  if (legalBasis === 'legitimate_interest') {
    await recordAssessment(deps, recruiter, vacancy.id, {
      purposeTest: 'p',
      necessityTest: 'n',
      balancingTest: 'b',
    })
    await approveVacancyAssessment(deps, dpo, vacancy.id)
  }
  await changeVacancy(deps, recruiter, vacancy.id, { status: 'open' })
  return { vacancyId: vacancy.id, token: context.token({ sub: user!.id, role: 'recruiter' }), recruiter }
}
