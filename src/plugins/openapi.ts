import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'

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
    await app.register(swaggerUi, { routePrefix: '/docs' })
  },
  { name: 'openapi' },
)
