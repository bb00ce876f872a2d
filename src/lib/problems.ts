/**
 * One error type for the whole service. Each code is stable and dotted; each maps to
 * an RFC 9457 problem type (`https://candor.dev/problems/<slug>`) documented in
 * docs/problems.md (a test keeps the two in step).
 */
export const PROBLEM_TYPE_BASE = 'https://candor.dev/problems/'

export const problemCatalogue = {
  'request.invalid': { status: 400, slug: 'invalid-request', title: 'The request is not valid' },
  'request.malformed_body': {
    status: 400,
    slug: 'malformed-body',
    title: 'The request body could not be parsed',
  },
  'request.body_too_large': { status: 413, slug: 'body-too-large', title: 'The request body is too large' },
  'request.unsupported_media_type': {
    status: 415,
    slug: 'unsupported-media-type',
    title: 'The request body has an unsupported content type',
  },
  'request.rate_limited': { status: 429, slug: 'rate-limited', title: 'Too many requests' },
  'request.timeout': { status: 408, slug: 'request-timeout', title: 'The request took too long to arrive' },
  'request.uri_too_long': { status: 414, slug: 'uri-too-long', title: 'A part of the URL is too long' },
  'request.headers_too_large': {
    status: 431,
    slug: 'headers-too-large',
    title: 'The request headers are too large',
  },
  'server.internal': { status: 500, slug: 'internal-error', title: 'Something went wrong on our side' },
  'server.unavailable': { status: 503, slug: 'unavailable', title: 'The service is not ready' },
  'database.unavailable': {
    status: 503,
    slug: 'database-unavailable',
    title: 'The database cannot serve this request now; try again shortly',
  },
  'route.not_found': { status: 404, slug: 'route-not-found', title: 'No such route' },
  'auth.unauthenticated': { status: 401, slug: 'unauthenticated', title: 'A valid access token is required' },
  'auth.invalid_credentials': {
    status: 401,
    slug: 'invalid-credentials',
    title: 'E-mail address or password is wrong',
  },
  'auth.forbidden': { status: 403, slug: 'forbidden', title: 'Your role may not do this' },
  'auth.busy': {
    status: 503,
    slug: 'login-busy',
    title: 'Too many logins are being checked at once; try again shortly',
  },
  'user.email_taken': { status: 409, slug: 'email-taken', title: 'A user with this e-mail address exists' },
  'user.client_required': {
    status: 400,
    slug: 'client-required',
    title: 'A client user must be bound to exactly one client',
  },
  'client.not_found': { status: 404, slug: 'client-not-found', title: 'No such client' },
  'vacancy.not_found': { status: 404, slug: 'vacancy-not-found', title: 'No such vacancy' },
  'vacancy.invalid_transition': {
    status: 409,
    slug: 'invalid-status-transition',
    title: 'The vacancy cannot move to that status',
  },
  'vacancy.not_editable': {
    status: 409,
    slug: 'vacancy-not-editable',
    title: 'Purpose and legal basis are fixed once a vacancy has opened',
  },
  'vacancy.agreement_required': {
    status: 409,
    slug: 'agreement-required',
    title: 'The client has no processing agreement',
  },
  'vacancy.assessment_required': {
    status: 409,
    slug: 'assessment-required',
    title: 'A legitimate-interest vacancy needs an approved legitimate-interest assessment',
  },
  'vacancy.assessment_not_applicable': {
    status: 409,
    slug: 'assessment-not-applicable',
    title: 'Only a legitimate-interest vacancy carries a legitimate-interest assessment',
  },
  'vacancy.assessment_missing': {
    status: 409,
    slug: 'assessment-missing',
    title: 'There is no assessment to approve',
  },
  'vacancy.dpia_required': {
    status: 409,
    slug: 'dpia-required',
    title: 'This vacancy needs a data protection impact assessment before it can open',
  },
  'vacancy.not_open': { status: 409, slug: 'vacancy-not-open', title: 'The vacancy is not open' },
  'candidacy.not_found': { status: 404, slug: 'candidacy-not-found', title: 'No such candidacy' },
  'candidacy.exists': {
    status: 409,
    slug: 'candidacy-exists',
    title: 'This person is already a candidate for this vacancy',
  },
  'candidacy.invalid_stage_transition': {
    status: 409,
    slug: 'invalid-stage-transition',
    title: 'The candidacy cannot move to that stage',
  },
  'candidacy.ended': {
    status: 409,
    slug: 'candidacy-ended',
    title: 'The candidacy has ended (withdrawn, objected or erased): nothing more may be done with it',
  },
  'candidacy.facts_need_consent': {
    status: 409,
    slug: 'facts-need-consent',
    title: 'A consent vacancy holds only contact data and its source until the person consents',
  },
  'sourcing.suppressed': {
    status: 409,
    slug: 'suppressed',
    title: 'This person asked not to be contacted again and cannot be sourced',
  },
  'person.ambiguous': {
    status: 409,
    slug: 'person-ambiguous',
    title: 'The e-mail addresses belong to different people already on record',
  },
  'person.restricted': {
    status: 409,
    slug: 'processing-restricted',
    title: 'Processing of this person is restricted (Art. 18): the data is stored only',
  },
  'person.email_taken': {
    status: 409,
    slug: 'email-belongs-to-another-person',
    title: 'That e-mail address belongs to another person on record',
  },
  'consent.required': {
    status: 409,
    slug: 'consent-required',
    title: 'The person has not given live consent for this vacancy',
  },
  'consent.already_given': {
    status: 409,
    slug: 'consent-already-given',
    title: 'The person has already given consent for this vacancy',
  },
  'consent.declined': {
    status: 409,
    slug: 'consent-declined',
    title: 'The person declined; they are not asked again for this vacancy',
  },
  'outreach.no_deliverable_address': {
    status: 409,
    slug: 'no-deliverable-address',
    title: 'The person has no e-mail address that accepts mail',
  },
  'outreach.not_applicable': {
    status: 409,
    slug: 'mail-not-applicable',
    title: 'This mail does not fit the candidacy as it is now',
  },
  'webhook.unauthenticated': {
    status: 401,
    slug: 'webhook-unauthenticated',
    title: 'The webhook credentials are missing or wrong',
  },
  'webhook.malformed_batch': {
    status: 400,
    slug: 'malformed-batch',
    title: 'The event batch is malformed; nothing of it was stored',
  },
  'person.not_found': { status: 404, slug: 'person-not-found', title: 'No such person' },
  'person.busy': {
    status: 409,
    slug: 'person-busy',
    title: 'Candidacies kept being added to this person meanwhile; try again',
  },
  'person.not_restricted': {
    status: 409,
    slug: 'person-not-restricted',
    title: 'Processing of this person is not restricted',
  },
  'request.not_found': { status: 404, slug: 'request-not-found', title: 'No such request' },
  'request.closed': {
    status: 409,
    slug: 'request-closed',
    title: 'The request is already completed or rejected',
  },
  'request.not_verified': {
    status: 409,
    slug: 'request-not-verified',
    title: "The requester's identity must be verified first (Art. 12(6))",
  },
  'request.invalid_transition': {
    status: 409,
    slug: 'request-invalid-transition',
    title: 'The request cannot move to that status',
  },
  'request.in_progress': {
    status: 409,
    slug: 'request-in-progress',
    title: 'The request is already being carried out',
  },
  'request.already_extended': {
    status: 409,
    slug: 'request-already-extended',
    title: 'The deadline was already extended',
  },
  'request.extension_too_late': {
    status: 409,
    slug: 'extension-too-late',
    title: 'An extension must be decided and told within the first month (Art. 12(3))',
  },
  'request.owner_not_allowed': {
    status: 409,
    slug: 'owner-not-allowed',
    title: 'Only an active DPO or admin can own a request',
  },
  'request.task_not_found': {
    status: 404,
    slug: 'task-not-found',
    title: 'No such open task on this request',
  },
  'request.erasure_incomplete': {
    status: 409,
    slug: 'erasure-incomplete',
    title: 'The no-trace check still finds the person; the erasure is not complete',
  },
  'fact.not_found': { status: 404, slug: 'fact-not-found', title: 'No such fact' },
  'fact.special_category_refused': {
    status: 409,
    slug: 'special-category-refused',
    title:
      'Special-category data needs explicit consent or a source where the person made it public (Art. 9)',
  },
} as const satisfies Record<string, { status: number; slug: string; title: string }>

export type ProblemCode = keyof typeof problemCatalogue

export interface FieldError {
  field: string
  message: string
}

export class AppError extends Error {
  override name = 'AppError'
  readonly code: ProblemCode
  readonly status: number
  readonly detail: string | undefined
  readonly errors: FieldError[] | undefined
  readonly headers: Record<string, string> | undefined

  constructor(
    code: ProblemCode,
    detail?: string,
    options: { errors?: FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail ?? problemCatalogue[code].title, { cause: options.cause })
    this.code = code
    this.status = problemCatalogue[code].status
    this.detail = detail
    this.errors = options.errors
    this.headers = options.headers
  }
}

export function problemType(code: ProblemCode): string {
  return PROBLEM_TYPE_BASE + problemCatalogue[code].slug
}

export interface Problem {
  type: string
  title: string
  status: number
  code: ProblemCode
  detail?: string
  instance?: string
  errors?: FieldError[]
}

export function toProblem(error: AppError, instance?: string): Problem {
  const entry = problemCatalogue[error.code]
  return {
    type: problemType(error.code),
    title: entry.title,
    status: entry.status,
    code: error.code,
    ...(error.detail === undefined ? {} : { detail: error.detail }),
    ...(instance === undefined ? {} : { instance }),
    ...(error.errors === undefined ? {} : { errors: error.errors }),
  }
}
