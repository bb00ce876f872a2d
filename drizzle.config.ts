import { defineConfig } from 'drizzle-kit'

// drizzle-kit only generates SQL from the schema here; migrations are applied by the service (src/db/migrate.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/modules/*/*.tables.ts',
  out: './migrations',
  casing: 'snake_case',
})
