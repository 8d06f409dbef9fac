//! Reading pidone's exit report (`-v`), for tests whose subject is the report itself or
//! that cross-check it against /proc.

use std::collections::HashMap;

/// The `pidone: exit ...` report that `-v` prints, as key=value pairs.
pub fn exit_report(stderr: &str) -> HashMap<String, String> {
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("pidone: exit code="))
        .unwrap_or_else(|| panic!("no exit report in:\n{}", tail(stderr)));
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn report_num(report: &HashMap<String, String>, key: &str) -> u64 {
    report
        .get(key)
        .unwrap_or_else(|| panic!("no {key} in {report:?}"))
        .parse()
        .unwrap()
}

/// The last lines of a long log, for failure messages.
pub fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
