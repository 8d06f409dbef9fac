//! A bad `pidone health` command line: exit status 2 with one line naming the problem.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage<'a> {
    /// Phrased to be followed by the value: "bad port (1-65535)" then `'0'`.
    pub problem: &'static str,
    /// The offending word or part of the URL; empty for none.
    pub value: &'a [u8],
}

pub fn bad<'a, T>(problem: &'static str, value: &'a [u8]) -> Result<T, Usage<'a>> {
    Err(Usage { problem, value })
}
