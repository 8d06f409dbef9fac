//! Memory pidone holds only for a while: an anonymous private mapping, returned to the
//! kernel when dropped (the secrets of `--env-from-files`, held until the spawn).

/// A zero-filled, read-write anonymous mapping, unmapped on drop.
pub struct Region {
    ptr: *mut u8,
    len: usize,
}

impl Region {
    /// Maps `len` bytes. MAP_NORESERVE: only the pages written cost memory.
    pub fn new(len: usize) -> Result<Region, i32> {
        let prot = libc::PROT_READ | libc::PROT_WRITE;
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
        // SAFETY: a new anonymous mapping at an address of the kernel's choosing touches
        // no existing memory.
        let ptr = unsafe { libc::mmap(core::ptr::null_mut(), len, prot, flags, -1, 0) };
        if ptr == libc::MAP_FAILED {
            return Err(super::errno());
        }
        Ok(Region {
            ptr: ptr.cast(),
            len,
        })
    }

    pub fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: `ptr` is a live read-write mapping of `len` bytes, owned by this Region
        // alone; the borrow of `self` keeps it mapped for the slice's life.
        unsafe { core::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unmapped once; nothing borrows it any more.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}
