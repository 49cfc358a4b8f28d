//! vectro's Node-API addon: thin wrappers that check arguments, call vectro-core, and turn
//! errors and panics into thrown JS errors. The TypeScript side declares this surface in
//! src/native/types.ts; keep the two in step.

mod js;
mod napi;

use std::panic::{catch_unwind, AssertUnwindSafe};

use js::{Args, Env, Fail, Result};
use napi::{napi_callback_info, napi_env, napi_value};
use vectro_core::quant::{self, Scheme, MAX_DIM};
use vectro_core::{parallel, simd};

/// Upper bound for a `threads` argument.
const MAX_THREADS: usize = 1024;

/// Runs one exported function: panics and errors become JS exceptions, never a crash.
fn call(env: napi_env, info: napi_callback_info, argc: usize, body: fn(Env, &mut Args) -> Result<napi_value>) -> napi_value {
    let env = Env(env);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut args = env.args(info, argc)?;
        body(env, &mut args)
    }));
    let fail = match outcome {
        Ok(Ok(value)) => return value,
        Ok(Err(fail)) => fail,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Fail::Error(format!("internal error in vectro's native code: {msg}"))
        }
    };
    env.throw(fail);
    std::ptr::null_mut()
}

fn core_error(e: vectro_core::Error) -> Fail {
    Fail::Range(e.to_string())
}

fn scheme_arg(args: &Args, i: usize) -> Result<Scheme> {
    let id = args.index(i, "scheme", u32::MAX as usize)?;
    Scheme::from_id(id as u32).ok_or_else(|| Fail::Range(format!("unknown scheme id {id}")))
}

/// `info() -> { version, simd, simdSupported, threads }`
fn info(env: Env, _: &mut Args) -> Result<napi_value> {
    let o = env.object()?;
    env.set(o, "version", env.string(env!("CARGO_PKG_VERSION"))?)?;
    env.set(o, "simd", env.string(simd::level().name())?)?;
    let supported: Vec<&str> = simd::supported_levels().iter().map(|l| l.name()).collect();
    env.set(o, "simdSupported", env.array_of_strings(&supported)?)?;
    env.set(o, "threads", env.number(parallel::available_threads() as f64)?)?;
    Ok(o)
}

/// `encode(scheme, x, dim, center, codes, params, threads) -> firstBadRow | -1`
fn encode(env: Env, a: &mut Args) -> Result<napi_value> {
    let scheme = scheme_arg(a, 0)?;
    let x = a.f32s(1, "x")?;
    let dim = a.index(2, "dim", MAX_DIM)?;
    let center = a.f32s(3, "center")?;
    let codes = a.bytes_mut(4, "codes")?;
    let params = a.f32s_mut(5, "params")?;
    let threads = a.index(6, "threads", MAX_THREADS)?;
    let bad = quant::encode(scheme, x, dim, center, codes, params, threads).map_err(core_error)?;
    env.number(bad.map_or(-1.0, |r| r as f64))
}

/// `decode(scheme, codes, params, center, dim, out, threads)`
fn decode(env: Env, a: &mut Args) -> Result<napi_value> {
    let scheme = scheme_arg(a, 0)?;
    let codes = a.bytes(1, "codes")?;
    let params = a.f32s(2, "params")?;
    let center = a.f32s(3, "center")?;
    let dim = a.index(4, "dim", MAX_DIM)?;
    let out = a.f32s_mut(5, "out")?;
    let threads = a.index(6, "threads", MAX_THREADS)?;
    quant::decode(scheme, codes, params, center, dim, out, threads).map_err(core_error)?;
    env.undefined()
}

/// `columnSums(x, dim, acc) -> firstBadRow | -1`
fn column_sums(env: Env, a: &mut Args) -> Result<napi_value> {
    let x = a.f32s(0, "x")?;
    let dim = a.index(1, "dim", MAX_DIM)?;
    let acc = a.f64s_mut(2, "acc")?;
    let bad = quant::column_sums(x, dim, acc).map_err(core_error)?;
    env.number(bad.map_or(-1.0, |r| r as f64))
}

/// `errorStats(x, y, dim, acc)`
fn error_stats(env: Env, a: &mut Args) -> Result<napi_value> {
    let x = a.f32s(0, "x")?;
    let y = a.f32s(1, "y")?;
    let dim = a.index(2, "dim", MAX_DIM)?;
    let acc = a.f64s_mut(3, "acc")?;
    quant::error_stats(x, y, dim, acc).map_err(core_error)?;
    env.undefined()
}

macro_rules! export {
    ($name:ident, $argc:expr, $body:path) => {
        unsafe extern "C" fn $name(env: napi_env, info: napi_callback_info) -> napi_value {
            call(env, info, $argc, $body)
        }
    };
}

export!(js_info, 0, info);
export!(js_encode, 7, encode);
export!(js_decode, 7, decode);
export!(js_column_sums, 3, column_sums);
export!(js_error_stats, 4, error_stats);

/// Module entry point, found by Node when it loads the addon.
///
/// # Safety
/// Called by Node with a valid env and exports object.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    let env = Env(env);
    let functions: [(&str, napi::napi_callback); 5] = [
        ("info", js_info),
        ("encode", js_encode),
        ("decode", js_decode),
        ("columnSums", js_column_sums),
        ("errorStats", js_error_stats),
    ];
    for (name, cb) in functions {
        let registered = env.function(name, cb).and_then(|f| env.set(exports, name, f));
        if let Err(fail) = registered {
            env.throw(fail);
            return std::ptr::null_mut();
        }
    }
    exports
}
