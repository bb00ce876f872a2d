import type { Config } from './config'
import type { Database } from './db/client'
import type { Clock } from './lib/clock'
import type { FieldKeyring } from './lib/field-crypto'

/**
 * What services are given, by name: the database, the clock, the configuration and the field
 * keyring. Routes, workers and CLI commands build this once and pass it on; tests pass their own.
 */
export interface Services {
  db: Database
  clock: Clock
  config: Config
  keyring: FieldKeyring
}
