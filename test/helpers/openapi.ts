import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import fc from 'fast-check'

/** The parts of an OpenAPI 3.1 document the walk reads. */
export type JsonSchema = Record<string, unknown>

export interface MediaType {
  schema?: JsonSchema
}

export interface Operation {
  parameters?: Array<{
    in: 'path' | 'query' | 'header'
    name: string
    required?: boolean
    schema: JsonSchema
  }>
  requestBody?: { required?: boolean; content: Record<string, MediaType> }
  responses: Record<string, { content?: Record<string, MediaType> }>
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, JsonSchema> }
}

/** Values that have broken services like this one: odd years, control characters, extremes. */
export const hostileStrings = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0007\u001b[31m\r\n',
  'x'.repeat(10_000),
  '0020-06-15T00:00:00Z',
  '0099-06-15',
  '9999-12-31T23:59:59.999Z',
  '+010000-01-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '1e300',
  '-1',
  'NaN',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '=HYPERLINK("http://evil.test")',
  'Sanne\r\nBcc: victim@evil.test',
  '𝕊𝕒𝕟𝕟𝕖 🦄',
  '00000000-0000-0000-0000-000000000000',
]

export const hostileNumbers = [0, -1, -1e300, 1e300, 2 ** 53 + 1, 0.5, 1e-300]

const hostileValue = fc.oneof(
  fc.constantFrom<unknown>(...hostileStrings, ...hostileNumbers),
  fc.constantFrom<unknown>(null, true, [], {}, [null], { $ne: 1 }),
)

export class SchemaArbitraries {
  constructor(private readonly document: OpenApiDocument) {}

  private resolve(schema: JsonSchema): JsonSchema {
    const ref = schema.$ref
    if (typeof ref !== 'string') return schema
    const name = ref.replace('#/components/schemas/', '')
    const target = this.document.components.schemas[name]
    if (!target) throw new Error(`unknown $ref ${ref}`)
    return this.resolve(target)
  }

  /**
   * Inputs for a schema: mostly valid (its examples, enums, formats and bounds), and with
   * `hostile` a share of leaves replaced by hostile values, unknown keys added or required ones left out.
   */
  valueOf(input: JsonSchema, hostile: boolean, depth = 0): fc.Arbitrary<unknown> {
    const valid = this.validValue(input, hostile, depth)
    return hostile ? fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: hostileValue }) : valid
  }

  private validValue(input: JsonSchema, hostile: boolean, depth: number): fc.Arbitrary<unknown> {
    const schema = this.resolve(input)
    const examples = (schema.examples as unknown[] | undefined) ?? []
    const generated = this.fromType(schema, hostile, depth)
    return examples.length > 0
      ? fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...examples) }, { weight: 1, arbitrary: generated })
      : generated
  }

  private fromType(schema: JsonSchema, hostile: boolean, depth: number): fc.Arbitrary<unknown> {
    if ('const' in schema) return fc.constant(schema.const)
    if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]))
    for (const key of ['anyOf', 'oneOf'] as const) {
      const options = schema[key] as JsonSchema[] | undefined
      if (options) return fc.oneof(...options.map((option) => this.valueOf(option, hostile, depth)))
    }
    const type = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string | undefined]
    return fc.oneof(...type.map((one) => this.ofType(one, schema, hostile, depth)))
  }

  private ofType(
    type: string | undefined,
    schema: JsonSchema,
    hostile: boolean,
    depth: number,
  ): fc.Arbitrary<unknown> {
    switch (type) {
      case 'null':
        return fc.constant(null)
      case 'boolean':
        return fc.boolean()
      case 'integer':
      case 'number': {
        const min = (schema.minimum as number | undefined) ?? -1000
        const max = (schema.maximum as number | undefined) ?? Math.max(min + 1000, 1000)
        return type === 'integer'
          ? fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) })
          : fc.double({ min, max, noNaN: true })
      }
      case 'string':
        return this.stringOf(schema)
      case 'array': {
        if (depth > 4) return fc.constant([])
        const items = (schema.items as JsonSchema | undefined) ?? {}
        return fc.array(this.valueOf(items, hostile, depth + 1), {
          minLength: (schema.minItems as number | undefined) ?? 0,
          maxLength: Math.min((schema.maxItems as number | undefined) ?? 3, 3),
        })
      }
      case 'object':
        return this.objectOf(schema, hostile, depth)
      default:
        return fc.oneof(fc.string(), fc.integer(), fc.boolean())
    }
  }

  private stringOf(schema: JsonSchema): fc.Arbitrary<string> {
    const minLength = (schema.minLength as number | undefined) ?? 0
    const maxLength = (schema.maxLength as number | undefined) ?? 50
    switch (schema.format) {
      case 'uuid':
        return fc.uuid({ version: 4 })
      case 'email':
        return fc.emailAddress()
      case 'uri':
        return fc.webUrl()
      case 'date-time':
        return fc
          .date({
            min: new Date('2000-01-01T00:00:00Z'),
            max: new Date('2030-12-31T00:00:00Z'),
            noInvalidDate: true,
          })
          .map((date) => date.toISOString())
    }
    if (typeof schema.pattern === 'string') {
      return fc
        .stringMatching(new RegExp(schema.pattern))
        .filter((value) => value.length >= minLength && value.length <= maxLength)
    }
    return fc.string({ minLength, maxLength: Math.min(maxLength, minLength + 40) })
  }

  private objectOf(schema: JsonSchema, hostile: boolean, depth: number): fc.Arbitrary<unknown> {
    const properties = (schema.properties as Record<string, JsonSchema> | undefined) ?? {}
    const required = new Set((schema.required as string[] | undefined) ?? [])
    if (depth > 4) return fc.constant({})
    const record = fc.record(
      Object.fromEntries(
        Object.entries(properties).map(([key, value]) => [key, this.valueOf(value, hostile, depth + 1)]),
      ),
      { requiredKeys: hostile ? [] : [...required].filter((key) => key in properties) },
    )
    if (!hostile) return record
    return fc
      .tuple(record, fc.option(fc.constantFrom('unknownField', '__proto__', 'constructor')))
      .map(([value, extra]) => (extra ? { ...value, [extra]: 'x' } : value))
  }
}

/** Checks answers against the document's response schemas (JSON Schema 2020-12, as OpenAPI 3.1). */
export class ResponseChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true })
  private readonly compiled = new Map<JsonSchema, ValidateFunction>()

  constructor(document: OpenApiDocument) {
    addFormats.default(this.ajv)
    this.ajv.addSchema({ $id: 'openapi', components: document.components })
  }

  /** Undefined when the body matches the schema; the first mismatch otherwise. */
  mismatch(schema: JsonSchema, body: unknown): string | undefined {
    let validate = this.compiled.get(schema)
    if (!validate) {
      const rewritten = JSON.parse(
        JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/'),
      )
      validate = this.ajv.compile(rewritten)
      this.compiled.set(schema, validate)
    }
    if (validate(body)) return undefined
    return this.ajv.errorsText(validate.errors)
  }
}
