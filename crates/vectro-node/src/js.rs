//! Safe-ish helpers over the raw Node-API calls: reading arguments (typed arrays checked for type,
//! and for overlap when one is written), building results, and throwing errors.

use std::ffi::{c_void, CString};
use std::ptr;

use crate::napi::*;
use vectro_core::distance::Vectors;

/// `typed` accepts any of Float32Array, Int8Array or Uint8Array (see `Args::vectors`).
const ANY_VECTORS: i32 = -1;

/// Why a call failed; becomes a thrown JS error of the matching class.
pub enum Fail {
    Type(String),
    Range(String),
    Error(String),
}

pub type Result<T> = std::result::Result<T, Fail>;

#[derive(Clone, Copy)]
pub struct Env(pub napi_env);

fn check(status: napi_status, what: &str) -> Result<()> {
    if status == NAPI_OK {
        Ok(())
    } else {
        Err(Fail::Error(format!("Node-API call {what} failed with status {status}")))
    }
}

/// A typed array's memory, as borrowed for one call.
struct View {
    ptr: *mut u8,
    bytes: usize,
    writable: bool,
    name: &'static str,
}

/// The arguments of one call, and the typed-array memory taken from them so far.
pub struct Args {
    env: Env,
    values: Vec<napi_value>,
    views: Vec<View>,
}

impl Env {
    /// Reads up to `max` arguments of the current call.
    pub fn args(self, info: napi_callback_info, max: usize) -> Result<Args> {
        let mut argc = max;
        let mut values = vec![ptr::null_mut(); max];
        // SAFETY: `values` has room for `argc` entries.
        check(
            unsafe { napi_get_cb_info(self.0, info, &mut argc, values.as_mut_ptr(), ptr::null_mut(), ptr::null_mut()) },
            "napi_get_cb_info",
        )?;
        values.truncate(argc.min(max));
        Ok(Args { env: self, values, views: Vec::new() })
    }

    pub fn undefined(self) -> Result<napi_value> {
        let mut v = ptr::null_mut();
        // SAFETY: valid env and out pointer.
        check(unsafe { napi_get_undefined(self.0, &mut v) }, "napi_get_undefined")?;
        Ok(v)
    }

    pub fn number(self, x: f64) -> Result<napi_value> {
        let mut v = ptr::null_mut();
        // SAFETY: valid env and out pointer.
        check(unsafe { napi_create_double(self.0, x, &mut v) }, "napi_create_double")?;
        Ok(v)
    }

    pub fn string(self, s: &str) -> Result<napi_value> {
        let mut v = ptr::null_mut();
        // SAFETY: the pointer and length describe `s`, which is valid UTF-8.
        check(unsafe { napi_create_string_utf8(self.0, s.as_ptr().cast(), s.len(), &mut v) }, "napi_create_string_utf8")?;
        Ok(v)
    }

    pub fn object(self) -> Result<napi_value> {
        let mut v = ptr::null_mut();
        // SAFETY: valid env and out pointer.
        check(unsafe { napi_create_object(self.0, &mut v) }, "napi_create_object")?;
        Ok(v)
    }

    pub fn array_of_strings(self, items: &[&str]) -> Result<napi_value> {
        let mut arr = ptr::null_mut();
        // SAFETY: valid env and out pointer.
        check(unsafe { napi_create_array_with_length(self.0, items.len(), &mut arr) }, "napi_create_array_with_length")?;
        for (i, s) in items.iter().enumerate() {
            let v = self.string(s)?;
            // SAFETY: `arr` is an array created above.
            check(unsafe { napi_set_element(self.0, arr, i as u32, v) }, "napi_set_element")?;
        }
        Ok(arr)
    }

    pub fn set(self, object: napi_value, key: &str, value: napi_value) -> Result<()> {
        let key = CString::new(key).map_err(|_| Fail::Error("property name has a NUL byte".into()))?;
        // SAFETY: `object` is an object value and `key` is NUL-terminated.
        check(unsafe { napi_set_named_property(self.0, object, key.as_ptr(), value) }, "napi_set_named_property")
    }

    pub fn function(self, name: &str, cb: napi_callback) -> Result<napi_value> {
        let mut f = ptr::null_mut();
        // SAFETY: the name pointer and length describe `name`.
        check(
            unsafe { napi_create_function(self.0, name.as_ptr().cast(), name.len(), cb, ptr::null_mut(), &mut f) },
            "napi_create_function",
        )?;
        Ok(f)
    }

    /// Throws `fail` as a JS error with code `VECTRO_NATIVE` (unless one is already pending).
    pub fn throw(self, fail: Fail) {
        let mut pending = false;
        // SAFETY: valid env and out pointer.
        unsafe { napi_is_exception_pending(self.0, &mut pending) };
        if pending {
            return;
        }
        let code = c"VECTRO_NATIVE";
        let clean = |s: String| CString::new(s.replace('\0', " ")).unwrap_or_default();
        // SAFETY: both strings are NUL-terminated.
        unsafe {
            match fail {
                Fail::Type(m) => napi_throw_type_error(self.0, code.as_ptr(), clean(m).as_ptr()),
                Fail::Range(m) => napi_throw_range_error(self.0, code.as_ptr(), clean(m).as_ptr()),
                Fail::Error(m) => napi_throw_error(self.0, code.as_ptr(), clean(m).as_ptr()),
            };
        }
    }
}

impl Fail {
    pub fn message(self) -> String {
        match self {
            Fail::Type(m) | Fail::Range(m) | Fail::Error(m) => m,
        }
    }
}

/// A result an async job hands from its worker thread to the main thread.
pub type AsyncOutput = Box<dyn std::any::Any + Send>;
type AsyncJob = Box<dyn FnOnce() -> std::result::Result<AsyncOutput, String> + Send>;

/// One queued Node-API async work: the job (run on libuv's thread pool), its outcome, and how to
/// turn that outcome into the promise's value (on the main thread).
struct AsyncTask {
    deferred: napi_deferred,
    work: napi_async_work,
    job: Option<AsyncJob>,
    outcome: Option<std::result::Result<AsyncOutput, String>>,
    finish: fn(Env, AsyncOutput) -> Result<napi_value>,
}

unsafe extern "C" fn async_execute(_env: napi_env, data: *mut c_void) {
    // SAFETY: `data` is the AsyncTask queued by `run_async`; Node runs execute once, before complete.
    let task = unsafe { &mut *(data as *mut AsyncTask) };
    let job = task.job.take();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.map_or(Err("job already ran".into()), |j| j())));
    task.outcome = Some(outcome.unwrap_or_else(|p| {
        let msg = p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned());
        Err(format!("internal error in vectro's native code: {}", msg.unwrap_or_else(|| "unknown panic".into())))
    }));
}

unsafe extern "C" fn async_complete(env: napi_env, status: napi_status, data: *mut c_void) {
    // SAFETY: `data` is the boxed AsyncTask; complete runs once, on the main thread, after execute.
    let task = unsafe { Box::from_raw(data as *mut AsyncTask) };
    let env = Env(env);
    // SAFETY: the work belongs to this task and is done.
    unsafe { napi_delete_async_work(env.0, task.work) };
    let settled = match (status, task.outcome) {
        (NAPI_OK, Some(Ok(value))) => (task.finish)(env, value).map_err(Fail::message),
        (NAPI_OK, Some(Err(msg))) => Err(msg),
        _ => Err(format!("the async operation was cancelled (status {status})")),
    };
    // SAFETY: the deferred belongs to this task and is settled exactly once, here.
    unsafe {
        match settled {
            Ok(value) => napi_resolve_deferred(env.0, task.deferred, value),
            Err(msg) => {
                let error = env.error_value(&msg).unwrap_or(ptr::null_mut());
                napi_reject_deferred(env.0, task.deferred, error)
            }
        };
    }
}

impl Env {
    /// Runs `job` on libuv's thread pool and returns a promise settled with `finish(result)`, or
    /// rejected with the job's error. The job must own everything it touches (no JS memory).
    pub fn run_async(
        self,
        name: &str,
        job: impl FnOnce() -> std::result::Result<AsyncOutput, String> + Send + 'static,
        finish: fn(Env, AsyncOutput) -> Result<napi_value>,
    ) -> Result<napi_value> {
        let (mut deferred, mut promise) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid env and out pointers.
        check(unsafe { napi_create_promise(self.0, &mut deferred, &mut promise) }, "napi_create_promise")?;
        let task = Box::into_raw(Box::new(AsyncTask { deferred, work: ptr::null_mut(), job: Some(Box::new(job)), outcome: None, finish }));
        let resource_name = self.string(name)?;
        // SAFETY: `task` lives until async_complete frees it; the callbacks match Node's signatures.
        let created = unsafe {
            napi_create_async_work(self.0, ptr::null_mut(), resource_name, async_execute, async_complete, task.cast(), &mut (*task).work)
        };
        // SAFETY: the work was created for this task.
        let queued = if created == NAPI_OK { unsafe { napi_queue_async_work(self.0, (*task).work) } } else { created };
        if queued != NAPI_OK {
            // SAFETY: Node did not take the task; the work (if any) is deleted with it.
            unsafe {
                if !(*task).work.is_null() {
                    napi_delete_async_work(self.0, (*task).work);
                }
                drop(Box::from_raw(task));
            }
            return Err(Fail::Error(format!("queuing the async operation failed with status {queued}")));
        }
        Ok(promise)
    }

    /// A JS Error with `message` (and code VECTRO_NATIVE), as a value.
    pub fn error_value(self, message: &str) -> Result<napi_value> {
        let (code, msg) = (self.string("VECTRO_NATIVE")?, self.string(message)?);
        let mut e = ptr::null_mut();
        // SAFETY: valid env and string values.
        check(unsafe { napi_create_error(self.0, code, msg, &mut e) }, "napi_create_error")?;
        Ok(e)
    }

    /// A new typed array (`kind`, elements of `elem` bytes) holding a copy of `bytes`.
    fn typed_copy(self, kind: i32, elem: usize, bytes: &[u8]) -> Result<napi_value> {
        let (mut data, mut buffer, mut array) = (ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid env; Node allocates `bytes.len()` bytes at `data`.
        check(unsafe { napi_create_arraybuffer(self.0, bytes.len(), &mut data, &mut buffer) }, "napi_create_arraybuffer")?;
        if !bytes.is_empty() {
            // SAFETY: `data` holds bytes.len() bytes and does not overlap `bytes`.
            unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), data as *mut u8, bytes.len()) };
        }
        // SAFETY: `buffer` holds exactly the array's bytes.
        check(unsafe { napi_create_typedarray(self.0, kind, bytes.len() / elem, buffer, 0, &mut array) }, "napi_create_typedarray")?;
        Ok(array)
    }

    pub fn f32_array(self, values: &[f32]) -> Result<napi_value> {
        // SAFETY: f32 has no padding; viewing it as bytes is sound.
        self.typed_copy(typedarray::FLOAT32, 4, unsafe { std::slice::from_raw_parts(values.as_ptr().cast(), values.len() * 4) })
    }

    pub fn u32_array(self, values: &[u32]) -> Result<napi_value> {
        // SAFETY: u32 has no padding; viewing it as bytes is sound.
        self.typed_copy(typedarray::UINT32, 4, unsafe { std::slice::from_raw_parts(values.as_ptr().cast(), values.len() * 4) })
    }

    /// Wraps `value` in a JS external tagged with `tag`; Rust drops it when JS collects the external.
    pub fn external<T: 'static>(self, value: T, tag: &'static napi_type_tag) -> Result<napi_value> {
        unsafe extern "C" fn drop_box<T>(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
            // SAFETY: `data` is the Box<T> leaked below, finalised exactly once by Node.
            drop(unsafe { Box::from_raw(data as *mut T) });
        }
        let data = Box::into_raw(Box::new(value)) as *mut c_void;
        let mut v = ptr::null_mut();
        // SAFETY: `data` stays valid until the finalizer runs.
        let status = unsafe { napi_create_external(self.0, data, drop_box::<T>, ptr::null_mut(), &mut v) };
        if status != NAPI_OK {
            // SAFETY: Node did not take ownership, so the box is still ours.
            drop(unsafe { Box::from_raw(data as *mut T) });
            return Err(Fail::Error(format!("napi_create_external failed with status {status}")));
        }
        // SAFETY: `v` is the external just created; `tag` is 'static.
        check(unsafe { napi_type_tag_object(self.0, v, tag) }, "napi_type_tag_object")?;
        Ok(v)
    }
}

impl Args {
    /// The value behind an external made by `Env::external` with the same tag.
    pub fn external<'a, T>(&self, i: usize, name: &str, tag: &'static napi_type_tag) -> Result<&'a mut T> {
        let v = self.value(i, name)?;
        let mut ours = false;
        // SAFETY: valid env and value; a non-object simply fails the check.
        let status = unsafe { napi_check_object_type_tag(self.env.0, v, tag, &mut ours) };
        if status != NAPI_OK || !ours {
            return Err(Fail::Type(format!("{name} is not a vectro index handle")));
        }
        let mut data = ptr::null_mut();
        // SAFETY: `v` is an external carrying our tag, so `data` is a live Box<T>.
        check(unsafe { napi_get_value_external(self.env.0, v, &mut data) }, "napi_get_value_external")?;
        // SAFETY: as above; JS is single-threaded, so no other reference is live during this call.
        Ok(unsafe { &mut *(data as *mut T) })
    }

    fn value(&self, i: usize, name: &str) -> Result<napi_value> {
        self.values.get(i).copied().ok_or_else(|| Fail::Type(format!("argument {} ({name}) is missing", i + 1)))
    }

    /// A non-negative whole number no larger than `max`.
    pub fn index(&self, i: usize, name: &str, max: usize) -> Result<usize> {
        let v = self.value(i, name)?;
        let mut kind = 0;
        // SAFETY: valid env, value and out pointer.
        check(unsafe { napi_typeof(self.env.0, v, &mut kind) }, "napi_typeof")?;
        if kind != NAPI_NUMBER {
            return Err(Fail::Type(format!("{name} must be a number")));
        }
        let mut x = 0f64;
        // SAFETY: `v` is a number.
        check(unsafe { napi_get_value_double(self.env.0, v, &mut x) }, "napi_get_value_double")?;
        if !(x >= 0.0 && x <= max as f64 && x.fract() == 0.0) {
            return Err(Fail::Range(format!("{name} must be a whole number from 0 to {max}, got {x}")));
        }
        Ok(x as usize)
    }

    fn typed(&mut self, i: usize, name: &'static str, want: i32, elem: usize, writable: bool) -> Result<(*mut u8, usize)> {
        self.typed_kind(i, name, want, elem, writable).map(|(p, n, _)| (p, n))
    }

    /// Like `typed`, also returning the array's `napi_typedarray_type`.
    fn typed_kind(&mut self, i: usize, name: &'static str, want: i32, elem: usize, writable: bool) -> Result<(*mut u8, usize, i32)> {
        let v = self.value(i, name)?;
        let env = self.env.0;
        let mut is_typed = false;
        // SAFETY: valid env, value and out pointer.
        check(unsafe { napi_is_typedarray(env, v, &mut is_typed) }, "napi_is_typedarray")?;
        let type_name = match want {
            typedarray::FLOAT32 => "Float32Array",
            typedarray::FLOAT64 => "Float64Array",
            typedarray::UINT32 => "Uint32Array",
            ANY_VECTORS => "Float32Array, Int8Array or Uint8Array",
            _ => "Uint8Array or Int8Array",
        };
        if !is_typed {
            return Err(Fail::Type(format!("{name} must be a {type_name}")));
        }
        let (mut kind, mut len, mut data) = (0, 0usize, ptr::null_mut::<c_void>());
        // SAFETY: `v` is a typed array; null is allowed for the outputs we do not need.
        check(
            unsafe { napi_get_typedarray_info(env, v, &mut kind, &mut len, &mut data, ptr::null_mut(), ptr::null_mut()) },
            "napi_get_typedarray_info",
        )?;
        let byte_ok = want == typedarray::UINT8 && (kind == typedarray::UINT8 || kind == typedarray::INT8);
        let vectors_ok = want == ANY_VECTORS && matches!(kind, typedarray::FLOAT32 | typedarray::INT8 | typedarray::UINT8);
        if kind != want && !byte_ok && !vectors_ok {
            return Err(Fail::Type(format!("{name} must be a {type_name}")));
        }
        let elem = if vectors_ok && kind == typedarray::FLOAT32 { 4 } else { elem };
        let bytes = len * elem;
        if data.is_null() || len == 0 {
            return Ok((ptr::NonNull::<u64>::dangling().as_ptr().cast(), 0, kind));
        }
        if !(data as usize).is_multiple_of(elem) {
            return Err(Fail::Type(format!("{name} is not aligned to {elem} bytes")));
        }
        let (start, end) = (data as usize, data as usize + bytes);
        for other in &self.views {
            let (os, oe) = (other.ptr as usize, other.ptr as usize + other.bytes);
            if (writable || other.writable) && start < oe && os < end {
                return Err(Fail::Range(format!("{name} overlaps {} in memory; pass separate buffers", other.name)));
            }
        }
        self.views.push(View { ptr: data.cast(), bytes, writable, name });
        Ok((data.cast(), len, kind))
    }

    // The slices below live as long as the call: JS cannot run (or detach the buffers) until the
    // native function returns, and `typed` has refused any written buffer that overlaps another.

    pub fn f32s<'a>(&mut self, i: usize, name: &'static str) -> Result<&'a [f32]> {
        let (p, n) = self.typed(i, name, typedarray::FLOAT32, 4, false)?;
        // SAFETY: a live, aligned Float32Array of n elements.
        Ok(unsafe { std::slice::from_raw_parts(p.cast(), n) })
    }

    pub fn f32s_mut<'a>(&mut self, i: usize, name: &'static str) -> Result<&'a mut [f32]> {
        let (p, n) = self.typed(i, name, typedarray::FLOAT32, 4, true)?;
        // SAFETY: as above, and no other view overlaps it.
        Ok(unsafe { std::slice::from_raw_parts_mut(p.cast(), n) })
    }

    pub fn f64s_mut<'a>(&mut self, i: usize, name: &'static str) -> Result<&'a mut [f64]> {
        let (p, n) = self.typed(i, name, typedarray::FLOAT64, 8, true)?;
        // SAFETY: a live, aligned, unaliased Float64Array of n elements.
        Ok(unsafe { std::slice::from_raw_parts_mut(p.cast(), n) })
    }

    pub fn f64s<'a>(&mut self, i: usize, name: &'static str) -> Result<&'a [f64]> {
        let (p, n) = self.typed(i, name, typedarray::FLOAT64, 8, false)?;
        // SAFETY: a live, aligned Float64Array of n elements.
        Ok(unsafe { std::slice::from_raw_parts(p.cast(), n) })
    }

    pub fn u32s<'a>(&mut self, i: usize, name: &'static str) -> Result<&'a [u32]> {
        let (p, n) = self.typed(i, name, typedarray::UINT32, 4, false)?;
        // SAFETY: a live, aligned Uint32Array of n elements.
        Ok(unsafe { std::slice::from_raw_parts(p.cast(), n) })
    }

    /// Any finite number.
    pub fn number(&self, i: usize, name: &str) -> Result<f64> {
        let v = self.value(i, name)?;
        let mut x = f64::NAN;
        // SAFETY: valid env, value and out pointer; a non-number fails the call.
        let status = unsafe { napi_get_value_double(self.env.0, v, &mut x) };
        if status != NAPI_OK || !x.is_finite() {
            return Err(Fail::Type(format!("{name} must be a finite number")));
        }
        Ok(x)
    }

    pub fn u32s_mut<'a>(&mut self, i: usize, name: &'static str) -> Result<&'a mut [u32]> {
        let (p, n) = self.typed(i, name, typedarray::UINT32, 4, true)?;
        // SAFETY: a live, aligned, unaliased Uint32Array of n elements.
        Ok(unsafe { std::slice::from_raw_parts_mut(p.cast(), n) })
    }

    /// Vectors of the type the array has: Float32Array, Int8Array (int8) or Uint8Array (bits).
    pub fn vectors<'a>(&mut self, i: usize, name: &'static str) -> Result<Vectors<'a>> {
        let (p, n, kind) = self.typed_kind(i, name, ANY_VECTORS, 1, false)?;
        // SAFETY: a live typed array of n elements of the reported kind (alignment checked).
        Ok(unsafe {
            match kind {
                typedarray::FLOAT32 => Vectors::F32(std::slice::from_raw_parts(p.cast(), n)),
                typedarray::INT8 => Vectors::I8(std::slice::from_raw_parts(p.cast(), n)),
                _ => Vectors::Bits(std::slice::from_raw_parts(p, n)),
            }
        })
    }

    pub fn bytes<'a>(&mut self, i: usize, name: &'static str) -> Result<&'a [u8]> {
        let (p, n) = self.typed(i, name, typedarray::UINT8, 1, false)?;
        // SAFETY: a live Uint8Array/Int8Array of n bytes.
        Ok(unsafe { std::slice::from_raw_parts(p, n) })
    }

    pub fn bytes_mut<'a>(&mut self, i: usize, name: &'static str) -> Result<&'a mut [u8]> {
        let (p, n) = self.typed(i, name, typedarray::UINT8, 1, true)?;
        // SAFETY: a live, unaliased Uint8Array/Int8Array of n bytes.
        Ok(unsafe { std::slice::from_raw_parts_mut(p, n) })
    }
}
