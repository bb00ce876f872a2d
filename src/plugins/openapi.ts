import { STATUS_CODES } from 'node:http'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'

/** Gives the Swagger UI page the viewport every page needs on a phone (`width=device-width`). */
const viewportScript = `(() => {
  if (document.querySelector('meta[name="viewport"]')) return
  const meta = document.createElement('meta')
  meta.name = 'viewport'
  meta.content = 'width=device-width, initial-scale=1'
  document.head.append(meta)
})()
`

/** Swagger UI on a narrow screen: less padding, and each response stacked instead of a cramped table. */
const narrowScreenCss = `@media (max-width: 600px) {
  .swagger-ui .wrapper { padding: 0 0.5rem; }
  .swagger-ui .opblock .opblock-section-header { padding: 0.5rem; }
  .swagger-ui .opblock-description-wrapper, .swagger-ui .execute-wrapper,
  .swagger-ui .responses-inner, .swagger-ui .parameters-container .table-container { padding: 0.5rem; }
  .swagger-ui table.responses-table thead { display: none; }
  .swagger-ui table.responses-table, .swagger-ui table.responses-table tbody,
  .swagger-ui table.responses-table tr, .swagger-ui table.responses-table td { display: block; width: auto; }
  .swagger-ui table.responses-table td { padding: 0.25rem 0; }
  .swagger-ui table.responses-table tr.response { border-top: 1px solid rgb(59 65 81 / 0.2); padding-top: 0.5rem; }
  .swagger-ui .highlight-code pre, .swagger-ui .microlight { word-break: normal; overflow-wrap: anywhere; }
}
`

/** Every error answer of the API is an RFC 9457 problem document, sent as application/problem+json. */
function documentProblems(schema: { response?: Record<string, unknown> }): void {
  for (const [status, entry] of Object.entries(schema.response ?? {})) {
    if (Number(status) < 400 || typeof entry !== 'object' || entry === null || 'content' in entry) continue
    schema.response![status] = {
      description: STATUS_CODES[Number(status)],
      content: { 'application/problem+json': { schema: entry } },
    }
  }
}

/** OpenAPI 3 from the route schemas: the zod schemas are the only description of the API. */
export const openapiPlugin = fp(
  async (app: FastifyInstance, options: { serverUrl: string }) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Candor API',
          description:
            'GDPR-first applicant tracking: per-vacancy legal basis and consent ledger, outreach, subject requests. ' +
            'Errors are RFC 9457 problem documents.',
          version: '0.1.0',
        },
        servers: [{ url: options.serverUrl }],
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      },
      transform: (input) => {
        const transformed = jsonSchemaTransform(input)
        documentProblems(transformed.schema as { response?: Record<string, unknown> })
        const access = input.route.config?.access
        if (access && 'roles' in access) {
          const schema = transformed.schema as Record<string, unknown>
          schema.security = [{ bearer: [] }]
          schema.description = [schema.description, `Roles: ${access.roles.join(', ')}.`]
            .filter(Boolean)
            .join('\n\n')
        }
        return transformed
      },
      transformObject: jsonSchemaTransformObject,
    })
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      // The plugin's page has no viewport of its own: theme files (served from /docs/static/theme/,
      // so the page's content security policy allows them) add one and let the layout fit a phone.
      theme: {
        title: 'Candor API',
        js: [{ filename: 'viewport.js', content: viewportScript }],
        css: [{ filename: 'narrow.css', content: narrowScreenCss }],
      },
    })
  },
  { name: 'openapi' },
)
