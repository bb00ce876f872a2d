import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

/**
 * AES-256-GCM for high-risk identifiers (BSN, passport numbers …). Each value is bound to its
 * row by associated data, so a ciphertext copied to another person does not decrypt. Keys are
 * `keyId:base64(32 bytes)` pairs, newest last; values remember their key id for rotation.
 */
export interface FieldKeyring {
  currentKeyId: string
  encrypt(plaintext: string, associatedData: string): { keyId: string; ciphertext: string }
  decrypt(value: { keyId: string; ciphertext: string }, associatedData: string): string
}

const IV_BYTES = 12
const TAG_BYTES = 16

export function parseKeyring(spec: string): FieldKeyring {
  const keys = new Map<string, Buffer>()
  for (const entry of spec.split(',')) {
    const [keyId, encoded] = entry.trim().split(':')
    const key = Buffer.from(encoded ?? '', 'base64')
    if (!keyId || key.length !== 32)
      throw new Error('FIELD_ENCRYPTION_KEYS: every key must be 32 bytes (base64)')
    keys.set(keyId, key)
  }
  const currentKeyId = [...keys.keys()].at(-1)!
  return {
    currentKeyId,
    encrypt(plaintext, associatedData) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', keys.get(currentKeyId)!, iv)
      cipher.setAAD(Buffer.from(associatedData))
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return {
        keyId: currentKeyId,
        ciphertext: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url'),
      }
    },
    decrypt({ keyId, ciphertext }, associatedData) {
      const key = keys.get(keyId)
      if (!key) throw new Error(`no field encryption key ${keyId}: it was removed before rotation finished`)
      const raw = Buffer.from(ciphertext, 'base64url')
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES))
      decipher.setAAD(Buffer.from(associatedData))
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      )
    },
  }
}
