//! # sambung-node
//!
//! The native addon behind the `sambung` npm package (napi-rs v3). A mechanical layer over
//! `sambung-bindings` in Node's idiom: camelCase names, `Buffer`s for bytes, numbers for seconds,
//! plain objects for results, classes in the namespaces `sip`, `media`, `acd` and `recording`.
//! A core refusal is thrown as an `Error` whose `code` is `ERR_SAMBUNG` (a parse error:
//! `ERR_SAMBUNG_PARSE`, with `responseCode` and `offset`); a bad argument as a `RangeError`.
//! The package's `index.js` adds `SambungError` and `ParseError` for `instanceof`.
// napi's macros expand to unsafe code; this crate writes none.
#![deny(unsafe_code)]

pub mod acd;
pub mod media;
pub mod recording;
pub mod sip;

use napi::bindgen_prelude::{JsObjectValue, JsValue, Null};
use napi::{Env, JsRangeError, Status};
use sambung_bindings::ErrorKind;

/// The JavaScript error for a core error.
fn raise(env: &Env, e: &sambung_bindings::Error) -> napi::Error {
    if e.kind() == ErrorKind::InvalidArgument {
        let range = JsRangeError::from(napi::Error::new(Status::InvalidArg, e.message()));
        return napi::Error::from(range.into_unknown(*env));
    }
    let plain = || napi::Error::new(Status::GenericFailure, e.message());
    let Ok(mut obj) = env.create_error(plain()) else {
        return plain();
    };
    let filled = match e.kind() {
        ErrorKind::Parse {
            response_code,
            offset,
        } => obj
            .set_named_property("name", "ParseError")
            .and_then(|()| obj.set_named_property("code", "ERR_SAMBUNG_PARSE"))
            .and_then(|()| match response_code {
                Some(c) => obj.set_named_property("responseCode", u32::from(c)),
                None => obj.set_named_property("responseCode", Null),
            })
            .and_then(|()| {
                obj.set_named_property("offset", i64::try_from(offset).unwrap_or(i64::MAX))
            }),
        _ => obj
            .set_named_property("name", "SambungError")
            .and_then(|()| obj.set_named_property("code", "ERR_SAMBUNG")),
    };
    match filled {
        Ok(()) => napi::Error::from(obj.to_unknown()),
        Err(_) => plain(),
    }
}

/// A JavaScript number as a non-negative integer id.
fn id(env: &Env, value: i64, what: &str) -> napi::Result<u64> {
    u64::try_from(value).map_err(|_| {
        raise(
            env,
            &sambung_bindings::Error::new(
                ErrorKind::InvalidArgument,
                format!("{what} {value} is negative"),
            ),
        )
    })
}
