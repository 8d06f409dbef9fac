//! Who got pidone's drain or kill signal, so nobody gets it twice when a later listing
//! shows them again. Fixed size, no heap. Only children of pidone are recorded (a drain
//! signals nobody else, as PID 1 too), and each is forgotten when pidone reaps it, so a
//! recorded pid cannot be reused by a stranger.

use crate::bytes;
use crate::sys::Pid;

/// How many live children one drain or kill has signalled at once. A reaped one frees its
/// slot, so past the cap a child is signalled by the first sweep after one of those before
/// it ends (or left to the deadline's SIGKILL): never twice. The kill sends SIGKILL past it
/// anyway rather than risk missing one (a second SIGKILL to a dying process changes
/// nothing).
pub const RECORD_CAP: usize = 1024;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Record {
    pids: [Pid; RECORD_CAP],
    len: usize,
}

impl Record {
    pub const fn new() -> Self {
        Record {
            pids: [0; RECORD_CAP],
            len: 0,
        }
    }

    fn live(&self) -> &[Pid] {
        self.pids.get(..self.len).unwrap_or(&[])
    }

    pub fn contains(&self, pid: Pid) -> bool {
        self.live().contains(&pid)
    }

    /// Adds `pid`; false when the record is full (it is then not recorded).
    pub fn insert(&mut self, pid: Pid) -> bool {
        if self.contains(pid) {
            return true;
        }
        bytes::push(&mut self.pids, &mut self.len, pid)
    }

    /// Forgets `pid` (reaped): its number may now be reused.
    pub fn remove(&mut self, pid: Pid) {
        if let Some(at) = self.live().iter().position(|p| *p == pid) {
            let last = self.len.saturating_sub(1);
            let moved = self.pids.get(last).copied().unwrap_or(0);
            if let Some(slot) = self.pids.get_mut(at) {
                *slot = moved;
            }
            self.len = last;
        }
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }
}

impl Default for Record {
    fn default() -> Self {
        Self::new()
    }
}
