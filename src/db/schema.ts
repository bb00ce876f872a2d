/** Every table, for the drizzle client and drizzle-kit. Tables live in their module's `*.tables.ts`. */
export * from '../modules/audit/audit.tables'
export * from '../modules/auth/auth.tables'
export * from '../modules/candidacies/candidacies.tables'
export * from '../modules/clients/clients.tables'
export * from '../modules/ledger/ledger.tables'
export * from '../modules/people/people.tables'
export * from '../modules/suppression/suppression.tables'
export * from '../modules/vacancies/vacancies.tables'
