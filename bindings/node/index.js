'use strict'
// The `sambung` package: the native addon's namespaces (sip, media, acd, recording) and the
// two error classes its errors answer `instanceof` to.
//
// Errors, mapped once here and nowhere else:
// - a core refusal is an `Error` with `code` ERR_SAMBUNG or ERR_SAMBUNG_PARSE (`responseCode`,
//   `offset`), thrown by the addon; `SambungError` and `ParseError` recognise it by that code;
// - a bad value (an unknown law, a negative time) is a `RangeError`, thrown by the addon;
// - a value of the wrong type, which napi-rs reports as a plain `Error` with a code such as
//   `StringExpected`, is rethrown here as a `TypeError` (same message and code), and a number
//   too large for its Rust type as a `RangeError`.
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

// napi-rs's codes for an argument of the wrong type.
const TYPE_CODES = new Set([
  'InvalidArg',
  'ObjectExpected',
  'StringExpected',
  'NumberExpected',
  'BooleanExpected',
  'ArrayExpected',
  'FunctionExpected',
  'BigintExpected',
])

function translate(error) {
  if (!(error instanceof Error) || error.constructor !== Error) return error
  let mapped
  if (TYPE_CODES.has(error.code)) mapped = new TypeError(error.message)
  else if (error.code === 'GenericFailure' && error.message.startsWith('Failed to convert')) {
    mapped = new RangeError(error.message)
  } else return error
  mapped.code = error.code
  return mapped
}

function guard(fn) {
  return function guarded(...args) {
    try {
      return fn.apply(this, args)
    } catch (error) {
      throw translate(error)
    }
  }
}

// A class of the addon behind a constructor of the same name and prototype (so `instanceof`
// holds for objects the addon makes), whose constructor, methods and static functions
// translate errors. The addon's static functions are read-only, hence the new constructor.
function guardClass(cls) {
  const wrapped = function (...args) {
    if (new.target === undefined) throw new TypeError(`Class constructor ${cls.name} cannot be invoked without 'new'`)
    try {
      return Reflect.construct(cls, args, new.target === wrapped ? cls : new.target)
    } catch (error) {
      throw translate(error)
    }
  }
  Object.defineProperty(wrapped, 'name', { value: cls.name })
  wrapped.prototype = cls.prototype
  for (const key of Object.getOwnPropertyNames(cls.prototype)) {
    const d = Object.getOwnPropertyDescriptor(cls.prototype, key)
    if (key !== 'constructor' && typeof d.value === 'function' && d.writable) cls.prototype[key] = guard(d.value)
  }
  for (const key of Object.getOwnPropertyNames(cls)) {
    if (!['length', 'name', 'prototype'].includes(key) && typeof cls[key] === 'function') {
      wrapped[key] = guard(cls[key].bind(cls))
    }
  }
  return wrapped
}

function isClass(value) {
  return typeof value === 'function' && value.prototype && Object.getOwnPropertyNames(value.prototype).length > 1
}

function guardNamespace(ns) {
  const out = {}
  for (const [name, value] of Object.entries(ns)) {
    if (isClass(value)) out[name] = guardClass(value)
    else out[name] = typeof value === 'function' ? guard(value) : value
  }
  return Object.freeze(out)
}

module.exports = {
  sip: guardNamespace(native.sip),
  media: guardNamespace(native.media),
  acd: guardNamespace(native.acd),
  recording: guardNamespace(native.recording),
  SambungError,
  ParseError,
}
