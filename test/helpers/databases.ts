import { randomBytes } from 'node:crypto'
import postgres from 'postgres'

/** The machine's PostgreSQL (trust auth); TEST_DATABASE_URL points elsewhere. */
export const adminDatabaseUrl = () =>
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const testRedisUrl = () => process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

export function databaseUrl(name: string): string {
  const url = new URL(adminDatabaseUrl())
  url.pathname = `/${name}`
  return url.toString()
}

/** Per run of the suite, so two runs on one machine do not share a template. */
export const templateDatabaseName = () => `candor_tpl_${process.pid}`

export async function cloneTemplate(
  template: string,
): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `candor_t_${randomBytes(6).toString('hex')}`
  const admin = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} })
  try {
    // Cloning is serialised by PostgreSQL per template; retry when another file is cloning at the same moment.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.unsafe(`create database "${name}" template "${template}"`)
        break
      } catch (error) {
        if (attempt >= 20 || !String((error as Error).message).includes('being accessed by other users'))
          throw error
        await new Promise((done) => setTimeout(done, 100 + Math.random() * 200))
      }
    }
  } finally {
    await admin.end()
  }
  return {
    name,
    url: databaseUrl(name),
    drop: async () => {
      const cleanup = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} })
      await cleanup.unsafe(`drop database if exists "${name}" with (force)`)
      await cleanup.end()
    },
  }
}
