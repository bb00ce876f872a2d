import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { type Config, type ResolvedConfig, resolvedConfig } from './config'

/** Reads `.env` from the working directory when there is one; the environment wins over the file. */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file)
}

interface DevelopmentSecrets {
  JWT_SECRET: string
  SERVER_SECRET: string
  FIELD_ENCRYPTION_KEYS: string
}

/**
 * Outside production, secrets that are not configured are generated once and kept
 * in DATA_DIR/secrets.json (mode 600), so tokens and encrypted fields survive restarts.
 */
export function withDevelopmentSecrets(config: Config): ResolvedConfig {
  if (config.JWT_SECRET && config.SERVER_SECRET && config.FIELD_ENCRYPTION_KEYS) return resolvedConfig(config)
  if (config.isProduction) throw new Error('secrets must be configured in production')
  mkdirSync(config.DATA_DIR, { recursive: true })
  const file = resolve(config.DATA_DIR, 'secrets.json')
  let stored: DevelopmentSecrets
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, 'utf8')) as DevelopmentSecrets
  } else {
    stored = {
      JWT_SECRET: randomBytes(48).toString('base64url'),
      SERVER_SECRET: randomBytes(48).toString('base64url'),
      FIELD_ENCRYPTION_KEYS: `dev1:${randomBytes(32).toString('base64')}`,
    }
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 })
  }
  return resolvedConfig({
    ...config,
    JWT_SECRET: config.JWT_SECRET ?? stored.JWT_SECRET,
    SERVER_SECRET: config.SERVER_SECRET ?? stored.SERVER_SECRET,
    FIELD_ENCRYPTION_KEYS: config.FIELD_ENCRYPTION_KEYS ?? stored.FIELD_ENCRYPTION_KEYS,
  })
}
