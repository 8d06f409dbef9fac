//! `Errno`: the error of a failed system call, a typed errno value.
//!
//! A newtype over the raw number rather than `nix::errno::Errno` itself: nix's enum makes
//! every conversion from the raw value a table lookup, and its text lookup a table of
//! pointers with one relocation each, 8 KiB of static binary in all. nix still gives the
//! texts, from the raw number.

/// An errno value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Errno(i32);

macro_rules! errnos {
    ($($name:ident),*) => {
        impl Errno {
            $(pub const $name: Errno = Errno(libc::$name);)*
        }
    };
}

errnos!(
    E2BIG,
    EACCES,
    EADDRNOTAVAIL,
    EAGAIN,
    ECONNREFUSED,
    EINPROGRESS,
    EINTR,
    ENAMETOOLONG,
    ENETUNREACH,
    ENODEV,
    ENOENT,
    ENOEXEC,
    ENOTDIR,
    ESRCH,
    ESTALE,
    ETIMEDOUT
);

impl Errno {
    /// The errno of the last failed call.
    pub fn last() -> Errno {
        Errno(nix::errno::Errno::last_raw())
    }

    pub const fn from_raw(raw: i32) -> Errno {
        Errno(raw)
    }

    pub const fn raw(self) -> i32 {
        self.0
    }

    /// The C library's text, e.g. "No such file or directory".
    pub fn desc(self) -> &'static str {
        nix::errno::Errno::from_raw(self.0).desc()
    }
}
