//! The registry of code schemes: one [`Codec`] per scheme, implemented next to its kernels in its
//! family's file (int8.rs, affine.rs, binary.rs, rabitq.rs) and listed once in [`Scheme::ALL`].
//! [`super::encode`], [`super::decode`], the Node binding and HNSW storage read schemes from here;
//! adding one is a family file and an entry in `ALL`. src/quant/schemes.ts is the TypeScript twin.

use crate::simd::Level;

/// What a code scheme is: its numbers and sizes, and how to make a [`Coder`] for one file.
pub trait Codec: Sync {
    fn name(&self) -> &'static str;
    /// The scheme's number in the `.vq` header and in native calls (docs/format.md).
    fn id(&self) -> u32;
    /// The kernel family, one file per backend: int8, affine, binary or rabitq.
    fn family(&self) -> &'static str;
    fn bits(&self) -> usize;
    /// Bytes of codes per vector; each vector starts on a byte boundary.
    fn code_bytes(&self, dim: usize) -> usize {
        (dim * self.bits()).div_ceil(8)
    }
    /// float32 parameters stored per vector.
    fn vector_params(&self) -> usize;
    /// 32-bit words stored once per file: what training produced (a center, a rotation).
    fn file_params(&self, _dim: usize) -> usize {
        0
    }
    /// An encoder and decoder for vectors of `dim` under one file's parameter words (already
    /// `file_params(dim)` long), with kernels at `level` (supported by this CPU). Fails with a
    /// message when the words are not valid for the scheme.
    fn coder<'a>(&self, level: Level, dim: usize, words: &'a [f32]) -> Result<Box<dyn Coder + 'a>, String>;
}

/// Encodes and decodes whole rows under one file's parameters. Buffers are checked by the caller:
/// whole rows of `dim` values, `code_bytes(dim)` bytes and `vector_params()` floats per row.
pub trait Coder: Sync {
    /// Returns the first row that could not be encoded (NaN, infinite, float32 overflow), if any.
    fn encode_rows(&self, x: &[f32], codes: &mut [u8], params: &mut [f32]) -> Option<usize>;
    fn decode_rows(&self, codes: &[u8], params: &[f32], out: &mut [f32]);
}

/// A registered scheme: a copyable handle to its [`Codec`].
#[derive(Clone, Copy)]
pub struct Scheme(&'static dyn Codec);

impl Scheme {
    pub const INT8: Scheme = Scheme(&super::int8::Int8);
    pub const INT4: Scheme = Scheme(&super::affine::Affine::<4>);
    pub const INT2: Scheme = Scheme(&super::affine::Affine::<2>);
    pub const BINARY: Scheme = Scheme(&super::binary::Binary);
    /// rabitq1 to rabitq8: `RABITQ[B - 1]`.
    pub const RABITQ: [Scheme; 8] = {
        use super::rabitq::Rabitq;
        [
            Scheme(&Rabitq(1)),
            Scheme(&Rabitq(2)),
            Scheme(&Rabitq(3)),
            Scheme(&Rabitq(4)),
            Scheme(&Rabitq(5)),
            Scheme(&Rabitq(6)),
            Scheme(&Rabitq(7)),
            Scheme(&Rabitq(8)),
        ]
    };

    /// Every scheme, in id order.
    pub const ALL: [Scheme; 12] = {
        let r = Scheme::RABITQ;
        [Scheme::INT8, Scheme::INT4, Scheme::INT2, Scheme::BINARY, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]]
    };

    pub fn from_id(id: u32) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.id() == id)
    }

    /// rabitqB, for `bits` in 1..=8 (callers check it).
    pub fn rabitq(bits: usize) -> Scheme {
        Scheme::RABITQ[bits - 1]
    }

    pub fn is_rabitq(self) -> bool {
        self.family() == "rabitq"
    }
}

impl std::ops::Deref for Scheme {
    type Target = dyn Codec;

    fn deref(&self) -> &(dyn Codec + 'static) {
        self.0
    }
}

impl PartialEq for Scheme {
    fn eq(&self, other: &Scheme) -> bool {
        self.id() == other.id()
    }
}

impl Eq for Scheme {}

impl std::fmt::Debug for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
