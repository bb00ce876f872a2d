import type { ResolvedConfig } from './config'
import type { Database } from './db/client'
import type { Clock } from './lib/clock'
import type { FieldKeyring } from './lib/field-crypto'
import type { PasswordChecks } from './lib/passwords'
import type { Templates } from './lib/templates'
import type { Mailer } from './plugins/mailer'
import type { Queues } from './queue/queues'

/**
 * What services are given, by name: the database, the clock, the configuration, the field
 * keyring, the templates, the mailer, the queues and the bounded password checks of logins. Routes, workers and CLI commands build this once and pass it on; tests pass their own.
 */
export interface Services {
  db: Database
  clock: Clock
  config: ResolvedConfig
  keyring: FieldKeyring
  templates: Templates
  mailer: Mailer
  queues: Queues
  passwords: PasswordChecks
}
