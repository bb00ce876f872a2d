import fastJson from 'fast-json-stringify'
import type { FastifySerializerCompiler } from 'fastify/types/schema'
import { z } from 'zod'

/**
 * Responses are written by fast-json-stringify from the JSON Schema of each route's zod
 * response schema (its wire side: dates as ISO strings). Only declared properties are
 * written, so a field the schema does not name — a password hash, a person's address on a
 * client's view — can never leave the server; and it is several times faster than zod's
 * encode followed by JSON.stringify on the read paths.
 */
export const responseSerializerCompiler: FastifySerializerCompiler<unknown> = ({ schema }) => {
  if (!(schema instanceof z.ZodType)) return (data) => JSON.stringify(data)
  const jsonSchema = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-07' })
  return fastJson(jsonSchema as Parameters<typeof fastJson>[0])
}
