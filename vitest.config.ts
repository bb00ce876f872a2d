import { defineConfig } from 'vitest/config'

// Each test file gets its own PostgreSQL database (cloned from a migrated template) and its own
// BullMQ prefix, so files run in parallel against the machine's real PostgreSQL and Redis.
const shared = {
  globalSetup: ['test/helpers/global-setup.ts'],
  pool: 'forks' as const,
  testTimeout: 30_000,
  hookTimeout: 60_000,
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/embedded/**', 'test/e2e/**'],
        },
      },
      // The embedded default (PGlite, no DATABASE_URL) as a newcomer's `npm start` runs it.
      { test: { ...shared, name: 'embedded', include: ['test/embedded/**/*.test.ts'] } },
      // A real browser (Debian's Chromium) against the candidate pages; screenshots in test-artifacts/.
      { test: { ...shared, name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
    ],
  },
})
