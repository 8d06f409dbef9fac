//! The words of the state machine: phases, events in, actions out. Plain data only.

use crate::bytes;
use crate::sys::Pid;

/// Where pidone's life stands. Deadlines are monotonic nanoseconds, as given with events.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    /// Pause mode (catatonit `-P`): no application; reap, and end on SIGTERM or SIGINT.
    Paused,
    /// The application runs; nobody has asked it to stop.
    Running,
    /// The stop signal is kept back for the stop delay, until `forward_at`.
    Delaying { forward_at: u64 },
    /// The stop signal was forwarded. With a grace period, everything is SIGKILLed at
    /// `kill_at`; without one the runtime owns the deadline. `group_reached`: it went to the
    /// child's whole process group, not only the child.
    Stopping {
        kill_at: Option<u64>,
        group_reached: bool,
    },
    /// The main child is gone; the leftovers got `sig` once each (see `Reached`), and those
    /// re-parented to pidone later get it when they appear. SIGKILL at `kill_at`, if any.
    Draining {
        kill_at: Option<u64>,
        sig: i32,
        reached: Reached,
    },
    /// `--wait-all`: the main child is gone; the leftovers get nothing until they end.
    Waiting,
    /// SIGKILL was sent; whatever is re-parented to pidone from now on is SIGKILLed too.
    /// `group_reached`: the main child's group got it (`kill(-1)` as PID 1 counts).
    Killed { group_reached: bool },
    /// The exit action was given; nothing happens any more.
    Done,
}

/// Who the drain's signal reached by a broadcast, so no one gets it twice.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reached {
    /// `kill(-1)` as PID 1 when /proc cannot be listed: every process in the namespace.
    Everyone,
    /// The child's process group: the stop signal was forwarded to it (`-g`).
    Group,
    /// No broadcast: each of pidone's own children gets it from a listing, once, and those
    /// re-parented later when they appear. Their children are theirs to stop.
    Children,
}

/// Whom a listing covers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scope {
    /// pidone's own children (/proc/self/task/PID/children).
    Children,
    /// Every process in /proc in the main child's process group (while it holds it).
    Group,
}

/// Which listing of pidone's children an answer belongs to, and what it is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Sweep {
    /// A signal forwarded to the leftovers: those outside the group get it too.
    Forward(i32),
    /// The start of a drain: signal each one the broadcast missed, continue stopped ones.
    DrainFirst,
    /// After a reap during a drain: signal newcomers (re-parented late) once.
    DrainLate,
    /// The stop signal went out: continue the main child, or its group when a member is
    /// stopped (workers its master waits for cannot act on anything while stopped).
    Stop,
    /// At the deadline: SIGKILL each child outside the group.
    KillFirst,
    /// After a reap once killed: SIGKILL what was re-parented since.
    KillLate,
}

/// What happened. Time comes with it (`Machine::step`'s `now`).
#[derive(PartialEq, Eq, Debug)]
pub enum Event<'a> {
    /// A signal taken from the pending set (never SIGCHLD, which means `Reaped`).
    /// `from_self`: pidone caused it (SIGPIPE, SIGXFSZ from its own write).
    Signal { sig: i32, from_self: bool },
    /// The deadline (`Machine::deadline`) has passed.
    Deadline,
    /// A process was reaped, with its wait status.
    Reaped { pid: Pid, status: i32 },
    /// The reaping pass is over: `none_left` when pidone has no child at all (ECHILD).
    ReapDone { none_left: bool },
    /// pidone's children, in answer to `Action::List`: all of them, in parts of up to
    /// `LIST_CAP` one after the other (`Listing::last` marks the last). The machine writes
    /// its decision for each into the list (`Kid::send`, `Kid::cont`); the executor
    /// performs them after the step's actions, before anything else can be reaped.
    Listed { sweep: Sweep, list: &'a mut Listing },
    /// pidone found the container failing (issue 24: an OOM kill under `--on-oom exit`, the
    /// watchdog): the stop sequence starts, and pidone exits with the failure's status.
    Failed(Failure),
}

/// How many children one listing holds: more come in further listings, each fed to the
/// machine in turn, all before anything else happens.
pub const LIST_CAP: usize = 128;

/// One child of pidone in a listing, with what the machine decided for it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Kid {
    pub pid: Pid,
    /// Its process group is the main child's.
    pub in_group: bool,
    /// It is stopped (SIGSTOP, SIGTSTP): it can act on no signal until continued.
    pub stopped: bool,
    /// The signals it ignores and does not block (bit N-1 for signal N): one of these
    /// sent to it achieves nothing.
    pub ignored: u64,
    /// The machine's decision: a signal for it.
    pub send: Sent,
    /// The machine's decision: SIGCONT to it if it is stopped.
    pub cont: bool,
}

/// A signal the machine decided for one listed child.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Sent {
    Nothing,
    /// A received signal, passed on.
    Forward(i32),
    /// One of pidone's own.
    Signal(i32),
}

impl Kid {
    pub const fn new(pid: Pid, in_group: bool) -> Self {
        Kid {
            pid,
            in_group,
            stopped: false,
            ignored: 0,
            send: Sent::Nothing,
            cont: false,
        }
    }

    /// Whether it ignores `sig`, so that sending it achieves nothing.
    pub fn ignores(&self, sig: i32) -> bool {
        let bit = u32::try_from(sig.saturating_sub(1)).unwrap_or(64);
        bit < 64 && self.ignored & 1u64.wrapping_shl(bit) != 0
    }
}

/// pidone's children as read at one moment: a fixed array, no heap.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Listing {
    kids: [Kid; LIST_CAP],
    len: usize,
    /// False when the children could not be read at all (no /proc).
    pub complete: bool,
    /// The last listing of its sweep: no more follow in this event.
    pub last: bool,
}

impl Listing {
    pub const fn new() -> Self {
        Listing {
            kids: [Kid::new(0, false); LIST_CAP],
            len: 0,
            complete: true,
            last: true,
        }
    }

    /// Adds a child, unless the listing is full (see `is_full`).
    pub fn push(&mut self, kid: Kid) {
        bytes::push(&mut self.kids, &mut self.len, kid);
    }

    /// It holds `LIST_CAP` children: the next go in another listing.
    pub fn is_full(&self) -> bool {
        self.len >= LIST_CAP
    }

    pub fn kids(&self) -> &[Kid] {
        self.kids.get(..self.len).unwrap_or(&[])
    }

    pub fn kids_mut(&mut self) -> &mut [Kid] {
        self.kids.get_mut(..self.len).unwrap_or(&mut [])
    }
}

impl Default for Listing {
    fn default() -> Self {
        Self::new()
    }
}

/// A failure that makes pidone end the application itself.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Failure {
    /// A process of the container was OOM-killed (`--on-oom exit`).
    Oom,
    /// The watchdog's checks failed (`--watchdog`).
    Unhealthy,
}

impl Failure {
    /// pidone's exit status after it: 137, what an OOM-killed main process gives (and
    /// what Kubernetes shows for OOMKilled); 134, 128+SIGABRT, as systemd's watchdog
    /// aborts a hung service. Both are failures to every restart policy.
    pub fn exit_code(self) -> i32 {
        match self {
            Failure::Oom => 137,
            Failure::Unhealthy => 134,
        }
    }
}

/// How the application's end began, for the termination message: the first cause wins.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cause {
    /// It exited, or was killed, with nobody asking it to stop.
    OnItsOwn,
    /// The stop signal came from outside (`docker stop`, the kubelet).
    Stopped(i32),
    /// pidone stopped it (`Event::Failed`).
    Failed(Failure),
}

/// Whom a signal goes to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Who {
    /// The main child (`kill(pid)`).
    Main,
    /// The main child's process group (`kill(-pgid)`).
    Group,
    /// Every process but pidone (`kill(-1)`): only ever as PID 1.
    Everyone,
    /// One child of pidone, from a listing.
    Pid(Pid),
}

/// Something for the executor to log: the machine decides, the executor writes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Note {
    /// The stop signal is held for the stop delay (ms).
    Holding(i32, u64),
    /// The grace period (ms) started.
    GraceStarted(u64),
    /// The deadline passed: everything left is SIGKILLed.
    GraceExpired,
    /// The main child exited and its leftovers are being ended.
    Draining,
    /// A received signal is rewritten to nothing (`-r N:0`).
    Dropped(i32),
    /// More leftovers than the record of signalled processes holds: the rest get the
    /// signal as earlier ones end, or the deadline's SIGKILL.
    RecordFull,
    /// Not PID 1 and no /proc after the SIGKILL: exiting without what cannot be found.
    Blind,
    /// The main child is gone but was never reaped by pidone.
    Vanished,
}

/// What to do, in order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {
    /// A received signal (as rewritten), passed on.
    Forward(Who, i32),
    /// A signal of pidone's own: drain, kill, dumb-init's exit SIGTERM.
    Signal(Who, i32),
    /// SIGCONT to this process if, and only if, it is stopped.
    ContIfStopped(Pid),
    /// List pidone's children once this step's actions are done, and answer with
    /// `Event::Listed`. At most one per step; never in the answer to a listing.
    List(Sweep, Scope),
    /// SIGSTOP pidone itself (dumb-init's job control; never as PID 1).
    StopSelf,
    Log(Note),
    /// Exit with this status.
    Exit(i32),
}

/// The actions of one step: a fixed array, no heap. No step needs more than `CAP`; a push
/// past it is dropped (the table test checks the largest step fits).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Actions {
    items: [Action; Actions::CAP],
    len: usize,
}

impl Actions {
    pub const CAP: usize = 8;

    pub const fn new() -> Self {
        Actions {
            items: [Action::StopSelf; Actions::CAP],
            len: 0,
        }
    }

    pub fn push(&mut self, action: Action) {
        bytes::push(&mut self.items, &mut self.len, action);
    }

    pub fn as_slice(&self) -> &[Action] {
        self.items.get(..self.len).unwrap_or(&[])
    }
}

impl Default for Actions {
    fn default() -> Self {
        Self::new()
    }
}

/// The result of one step: what to do, and why (one line; `None`: say nothing, for a
/// signal pidone caused itself, whose log line could cause another).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Output {
    pub actions: Actions,
    pub why: Option<&'static str>,
}

/// Counts for the exit report.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Stats {
    /// Processes reaped that were not the main child, while it ran.
    pub orphans: u32,
    /// Leftovers that ended during a drain.
    pub terminated: u32,
    /// Processes reaped after pidone sent SIGKILL, the main child included.
    pub killed: u32,
    /// Leftovers `--wait-all` waited for.
    pub waited: u32,
}
