'use strict'
// The `sambung` package: the native addon's namespaces (sip, media, acd, recording), and the
// two error classes its errors answer `instanceof` to. The addon throws plain `Error`s with a
// `code` of ERR_SAMBUNG or ERR_SAMBUNG_PARSE (and `responseCode`, `offset` for the latter);
// these classes recognise them by that code, so nothing here wraps or rethrows.
const native = require('./native.js')

function codeOf(value) {
  return value !== null && typeof value === 'object' ? value.code : undefined
}

/** Something Sambung's core refused; `code` is ERR_SAMBUNG or ERR_SAMBUNG_PARSE. */
class SambungError extends Error {
  static [Symbol.hasInstance](value) {
    const code = codeOf(value)
    return typeof code === 'string' && code.startsWith('ERR_SAMBUNG')
  }
}

/** A SIP message that does not parse: `responseCode` (null for a bad response) and `offset`. */
class ParseError extends SambungError {
  static [Symbol.hasInstance](value) {
    return codeOf(value) === 'ERR_SAMBUNG_PARSE'
  }
}

module.exports = {
  sip: native.sip,
  media: native.media,
  acd: native.acd,
  recording: native.recording,
  SambungError,
  ParseError,
}
