//! How an index stores its vectors: float32, or the codes of one scheme of the registry. HNSW and
//! IVF share it (IVF takes f32 and rabitqB); the ids are those of the `.vidx` header.

use crate::quant::Scheme;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    F32,
    Int8,
    Binary,
    /// RaBitQ with 1 to 8 bits per dimension.
    Rabitq(u8),
}

impl Storage {
    /// The storage's number in native calls and the `.vidx` header: rabitqB is 2 + B.
    pub fn id(self) -> u32 {
        match self {
            Storage::F32 => 0,
            Storage::Int8 => 1,
            Storage::Binary => 2,
            Storage::Rabitq(b) => 2 + b as u32,
        }
    }

    pub fn from_id(id: u32) -> Option<Storage> {
        match id {
            0 => Some(Storage::F32),
            1 => Some(Storage::Int8),
            2 => Some(Storage::Binary),
            3..=10 => Some(Storage::Rabitq((id - 2) as u8)),
            _ => None,
        }
    }

    /// The code scheme of the nodes (none for f32).
    pub fn scheme(self) -> Option<Scheme> {
        match self {
            Storage::F32 => None,
            Storage::Int8 => Some(Scheme::INT8),
            Storage::Binary => Some(Scheme::BINARY),
            Storage::Rabitq(b) => Some(Scheme::rabitq(b as usize)),
        }
    }

    /// Bytes of codes per node (the vector itself for f32).
    pub fn code_bytes(self, dim: usize) -> usize {
        self.scheme().map_or(4 * dim, |s| s.code_bytes(dim))
    }

    /// float32 values saved per node beside the codes: the scheme's, but for binary, whose
    /// distance (hamming) does not read its s.
    pub fn node_params(self) -> usize {
        match self {
            Storage::Binary => 0,
            _ => self.scheme().map_or(0, |s| s.vector_params()),
        }
    }

    /// float32 words saved once: the scheme's file parameters (binary's center; rabitq's rotation
    /// words and center).
    pub fn file_params(self, dim: usize) -> usize {
        self.scheme().map_or(0, |s| s.file_params(dim))
    }
}
