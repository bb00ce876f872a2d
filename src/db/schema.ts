/** Every table, for the drizzle client and drizzle-kit. Tables live in their module's `*.tables.ts`. */
export * from '../modules/auth/auth.tables'
export * from '../modules/clients/clients.tables'
export * from '../modules/vacancies/vacancies.tables'
