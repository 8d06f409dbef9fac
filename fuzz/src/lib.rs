//! Properties checked by pidone's fuzz targets (docs/fuzzing.md). Each module has an
//! `init` (once, before the first input) and a `check(data)` that panics when a property
//! fails; the libFuzzer binaries in fuzz_targets/ and the corpus replay in tests/ call them.

pub mod capture;
pub mod cli;
pub mod log;
pub mod reference;
pub mod user;
pub mod values;

/// A reader over the fuzzer's bytes that never fails: past the end it yields zeros.
pub struct Bytes<'a> {
    data: &'a [u8],
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Bytes { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// Up to `n` bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    pub fn rest(&mut self) -> &'a [u8] {
        self.take(self.data.len())
    }
}
