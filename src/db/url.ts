/**
 * A postgres:// URL as postgres.js 3.4 takes it. libpq's `?host=/run/postgresql` names a Unix
 * socket directory (on the same machine a Unix socket costs less CPU than loopback TCP);
 * postgres.js would send the unknown `host` parameter to the server, which refuses the
 * connection, so it is taken out of the URL and given as the `host` option.
 */
export function postgresTarget(url: string): { url: string; options: { host?: string } } {
  const parsed = new URL(url)
  const host = parsed.searchParams.get('host')
  if (!host) return { url, options: {} }
  if (!host.startsWith('/'))
    throw new Error('the host parameter of a PostgreSQL URL must be a socket directory')
  parsed.searchParams.delete('host')
  return { url: parsed.toString(), options: { host } }
}
