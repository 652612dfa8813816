// The `sambung` package's types: the generated native.d.ts (checked against the build in CI)
// and the two error classes of index.js. A value of the wrong type throws a TypeError, a value
// out of range a RangeError, a core refusal a SambungError.
export { acd, media, recording, sip } from './native'

/** Something Sambung's core refused; `code` is ERR_SAMBUNG or ERR_SAMBUNG_PARSE. */
export declare class SambungError extends Error {
  readonly code: 'ERR_SAMBUNG' | 'ERR_SAMBUNG_PARSE'
}

/** A SIP message that does not parse. */
export declare class ParseError extends SambungError {
  readonly code: 'ERR_SAMBUNG_PARSE'
  /** The status a server should answer with; null for a bad response (dropped). */
  readonly responseCode: number | null
  /** Byte offset of the fault. */
  readonly offset: number
}
