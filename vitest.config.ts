import { defineConfig } from 'vitest/config'

// Each test file gets its own PostgreSQL database (cloned from a migrated template) and its own
// BullMQ prefix, so files run in parallel against the machine's real PostgreSQL and Redis.
export default defineConfig({
  test: {
    globalSetup: ['test/helpers/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    sequence: { hooks: 'stack' },
    reporters: ['default'],
  },
})
