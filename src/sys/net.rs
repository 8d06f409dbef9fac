//! Stream sockets, for `pidone health`: a non-blocking socket, connect, and the pending
//! error of a connect that was under way. Sending, receiving and waiting use `Fd`'s calls.

use super::{Errno, Fd, check};

/// An address to connect to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addr<'a> {
    V4([u8; 4], u16),
    V6([u8; 16], u16),
    /// A filesystem path of at most 107 bytes (checked by the URL parser; longer is
    /// ENAMETOOLONG here).
    Unix(&'a [u8]),
}

/// A non-blocking, close-on-exec stream socket for `addr`'s family.
pub fn stream_socket(addr: Addr) -> Result<Fd, Errno> {
    let family = match addr {
        Addr::V4(..) => libc::AF_INET,
        Addr::V6(..) => libc::AF_INET6,
        Addr::Unix(_) => libc::AF_UNIX,
    };
    let flags = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: socket takes no pointers; a negative result is checked below.
    let fd = unsafe { libc::socket(family, flags, 0) };
    if fd < 0 {
        return Err(super::errno());
    }
    Ok(Fd::own(fd))
}

impl Fd {
    /// `connect(2)` to `addr`; on a non-blocking socket EINPROGRESS (and EINTR) mean the
    /// connection is under way.
    pub fn connect(&self, addr: Addr) -> Result<(), Errno> {
        match addr {
            Addr::V4(ip, port) => {
                // SAFETY: sockaddr_in is plain data; all-zero is valid.
                let mut sa: libc::sockaddr_in = unsafe { core::mem::zeroed() };
                sa.sin_family = libc::AF_INET as libc::sa_family_t;
                sa.sin_port = port.to_be();
                sa.sin_addr.s_addr = u32::from_ne_bytes(ip);
                self.connect_to(&sa)
            }
            Addr::V6(ip, port) => {
                // SAFETY: sockaddr_in6 is plain data; all-zero is valid.
                let mut sa: libc::sockaddr_in6 = unsafe { core::mem::zeroed() };
                sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sa.sin6_port = port.to_be();
                sa.sin6_addr.s6_addr = ip;
                self.connect_to(&sa)
            }
            Addr::Unix(path) => {
                // SAFETY: sockaddr_un is plain data; all-zero is valid, and the zeros after
                // the path are its terminating NUL.
                let mut sa: libc::sockaddr_un = unsafe { core::mem::zeroed() };
                sa.sun_family = libc::AF_UNIX as libc::sa_family_t;
                if path.len() >= sa.sun_path.len() {
                    return Err(Errno::ENAMETOOLONG);
                }
                for (slot, byte) in sa.sun_path.iter_mut().zip(path) {
                    *slot = *byte as libc::c_char;
                }
                self.connect_to(&sa)
            }
        }
    }

    /// `connect(2)` with the address `sa` points to, of type `T`.
    fn connect_to<T>(&self, sa: &T) -> Result<(), Errno> {
        let len = core::mem::size_of::<T>() as libc::socklen_t;
        // SAFETY: `sa` is a live, initialised sockaddr of `len` bytes; connect only reads it.
        check(unsafe { libc::connect(self.raw(), (sa as *const T).cast(), len) })
    }

    /// The outcome of a connect that was under way (`SO_ERROR`): `Ok` when connected.
    pub fn connect_result(&self) -> Result<(), Errno> {
        let mut err: libc::c_int = 0;
        let mut len = core::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `err` and `len` are live and `len` holds err's size; SO_ERROR writes an int.
        check(unsafe {
            libc::getsockopt(
                self.raw(),
                libc::SOL_SOCKET,
                libc::SO_ERROR,
                (&mut err as *mut libc::c_int).cast(),
                &mut len,
            )
        })?;
        if err == 0 {
            Ok(())
        } else {
            Err(Errno::from_raw(err))
        }
    }
}
