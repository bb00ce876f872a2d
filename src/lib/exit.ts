/** A failure to start that a person can fix: printed as its message, without a stack trace. */
export class StartupError extends Error {
  override name = 'StartupError'
}

export function exitWith(error: unknown): never {
  const known = error instanceof Error && (error.name === 'StartupError' || error.name === 'ConfigError')
  const text = known
    ? (error as Error).message
    : error instanceof Error
      ? (error.stack ?? error.message)
      : String(error)
  process.stderr.write(`${text}\n`)
  process.exit(1)
}
