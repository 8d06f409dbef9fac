//! Feature scenarios run by tests/features.rs against the host's binary and by
//! tests/arm64.rs against another architecture's (`PIDONE_BIN`).

use crate::*;

/// `--log-format json`: every line of stderr is one JSON object with a time, a level and
/// an event; the events say what pidone did, for the app's own pid. The app is pid
/// `app_pid` where it is known (2 natively; under qemu-user, its own thread took 2 already).
pub fn json_logs_are_one_object_per_line(app_pid: Option<i64>) {
    let sigecho = example("sigecho");
    let p = start(Mode::Pid1, &["--log-format", "json", "-vv", "--", &sigecho]);
    p.until("ready");
    p.signal(libc::SIGHUP);
    p.until("got SIGHUP");
    p.signal(libc::SIGTERM);
    let out = p.wait();
    let events: Vec<serde_json::Value> = out
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    for e in &events {
        let time = e["time"].as_str().expect("time");
        assert!(
            time.len() == 24 && time.ends_with('Z') && time.as_bytes()[10] == b'T',
            "{time}"
        );
        assert!(["error", "warn", "info", "debug"].contains(&e["level"].as_str().unwrap()));
        assert!(e["event"].is_string());
    }
    let find = |name: &str| {
        events
            .iter()
            .find(|e| e["event"] == name)
            .unwrap_or_else(|| panic!("no {name}: {}", out.stderr))
    };
    let app = find("spawned")["pid"].as_i64().expect("a pid");
    if let Some(pid) = app_pid {
        assert_eq!(app, pid, "{}", out.stderr);
    }
    let fwd = find("forwarded");
    assert_eq!(
        (fwd["signal"].as_str(), fwd["pid"].as_i64()),
        (Some("SIGHUP"), Some(app)),
        "to the app itself"
    );
    assert_eq!(find("child exited")["exit"], 0);
    let exit = find("exit");
    assert_eq!(exit["code"], 0);
    assert!(exit["ran_ms"].is_u64());
}
