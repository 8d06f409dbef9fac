//! The files users copy agree with what the documentation and the tests promise:
//! Dockerfile.example against tests/docker/Dockerfile.local (the variant the Docker tests
//! build), its pinned images and its explanations, and examples/kubernetes.yaml. Static
//! checks of text: no engine, no process.

use pidone_testkit as common;

use std::fs;
use std::path::Path;

fn read(path: &str) -> String {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    fs::read_to_string(repo.join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// The instructions of a Dockerfile's last stage, FROM line first.
fn final_stage(text: &str) -> Vec<String> {
    let mut instructions = common::dockerfile_instructions(text);
    let from = instructions
        .iter()
        .rposition(|i| i.starts_with("FROM "))
        .expect("a FROM line");
    instructions.split_off(from)
}

/// Dockerfile.example cannot be built here; tests/docker/Dockerfile.local can, and the
/// tests use it. They must not drift: same final stage but for the base image, and both
/// with the ENTRYPOINT, USER and STOPSIGNAL the docs promise.
#[test]
fn dockerfile_example_and_its_local_variant_agree() {
    let example = final_stage(&read("Dockerfile.example"));
    let local = final_stage(&read("tests/docker/Dockerfile.local"));
    assert_eq!(example[1..], local[1..], "final stages differ beyond FROM");
    for line in [
        r#"ENTRYPOINT ["/pidone", "--"]"#,
        "USER 65532:65532",
        "STOPSIGNAL SIGTERM",
    ] {
        assert!(
            example.iter().any(|i| i == line),
            "Dockerfile.example lacks {line}"
        );
    }
    let cmd = example.iter().find(|i| i.starts_with("CMD ")).expect("CMD");
    assert!(cmd.starts_with("CMD [\""), "CMD in exec form: {cmd}");
}

/// Every image Dockerfile.example names (the Node.js example's too) is pinned by tag and
/// digest, and it says what it should about grace, HEALTHCHECK and dumb-init.
#[test]
fn dockerfile_example_pins_and_explains() {
    let text = read("Dockerfile.example");
    let images: Vec<&str> = text
        .lines()
        .map(|l| l.trim_start_matches('#').trim())
        .filter_map(|l| l.strip_prefix("FROM "))
        .map(|rest| rest.split_whitespace().next().unwrap_or(""))
        .collect();
    assert!(
        images.len() >= 4,
        "build, final and the Node.js stages: {images:?}"
    );
    for image in &images {
        let (name_tag, digest) = image.split_once("@sha256:").unwrap_or((image, ""));
        let tag = name_tag.rsplit_once(':').map_or("", |(_, t)| t);
        assert!(
            !tag.is_empty() && !tag.contains('/') && tag != "latest",
            "{image}: a tag"
        );
        assert!(
            digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
            "{image}: a sha256 digest"
        );
    }
    for needed in [
        "PIDONE_GRACE",
        "HEALTHCHECK",
        "npm ci --omit=dev",
        "NODE_ENV=production",
        "USER node",
        "dumb-init",
    ] {
        assert!(
            text.contains(needed),
            "Dockerfile.example should mention {needed}"
        );
    }
}

/// The Kubernetes example: pidone as the entrypoint, locked down, limited, and pidone's
/// grace a little below the pod's termination grace period.
#[test]
fn kubernetes_example_is_consistent() {
    let text = read("examples/kubernetes.yaml");
    let value = |key: &str| -> String {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().trim_matches('"').to_string())
            .unwrap_or_else(|| panic!("kubernetes.yaml has no {key}"))
    };
    let period: u64 = value("terminationGracePeriodSeconds:")
        .parse()
        .expect("seconds");
    let grace_line = text
        .lines()
        .skip_while(|l| !l.contains("name: PIDONE_GRACE"))
        .nth(1)
        .expect("PIDONE_GRACE value");
    let grace = grace_line
        .trim()
        .strip_prefix("value:")
        .expect("value: line")
        .trim()
        .trim_matches('"');
    let grace: u64 = grace
        .strip_suffix('s')
        .expect("seconds")
        .parse()
        .expect("number");
    assert!(
        grace < period && grace + 10 >= period,
        "PIDONE_GRACE {grace}s should be a little below terminationGracePeriodSeconds {period}"
    );
    let entry = [
        ("command:", r#"["/pidone", "--"]"#),
        ("runAsNonRoot:", "true"),
        ("readOnlyRootFilesystem:", "true"),
        ("allowPrivilegeEscalation:", "false"),
        ("type:", "RuntimeDefault"),
    ];
    for (key, want) in entry {
        assert_eq!(value(key), want, "{key}");
    }
    assert!(text.contains("drop: [\"ALL\"]"), "capabilities drop ALL");
    assert!(
        text.contains("limits:") && text.contains("memory:"),
        "resource limits"
    );
}

// ---- one source per fact: the code's tables, and the docs that restate them ------------

/// Every option in src/cli/options.rs's table, as (long, short letter, variable), the
/// variable from src/cli/env.rs (`None` for -h, -V, -l, -v, which have none of their own).
fn options() -> Vec<(String, Option<char>, Option<String>)> {
    let table = read("src/cli/options.rs");
    let env = read("src/cli/env.rs");
    let mut out = Vec::new();
    for line in table.lines() {
        // `    opt(Id::Grace, "grace", b't', true),`
        let Some(rest) = line.trim().strip_prefix("opt(Id::") else {
            continue;
        };
        let fields: Vec<&str> = rest.trim_end_matches("),").split(", ").collect();
        let (id, long, short) = (fields[0], fields[1].trim_matches('"'), fields[2]);
        let short = short.strip_prefix("b'").and_then(|s| s.chars().next());
        let var = env.lines().find_map(|l| {
            let l = l.trim();
            l.ends_with(&format!(", Id::{id}),")).then(|| {
                l.trim_start_matches("(c\"")
                    .split('"')
                    .next()
                    .unwrap()
                    .to_string()
            })
        });
        out.push((long.to_string(), short, var));
    }
    assert!(
        out.len() >= 20,
        "the option table was not found: {}",
        out.len()
    );
    out
}

/// The first cell of each row of the markdown table whose header row starts with `header`.
fn table_rows(text: &str, header: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| !l.starts_with(header))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(str::to_string)
        .collect()
}

/// `--help`, the README's table and options.md's table name every option, its short letter
/// and its variable; the two tables split the options between them, each listed once.
#[test]
fn every_option_is_documented_once_with_its_variable() {
    let help = read("src/cli/help.txt");
    let rows: Vec<String> = [read("README.md"), read("docs/options.md")]
        .iter()
        .flat_map(|t| table_rows(t, "| option | environment | meaning |"))
        .collect();
    for (long, short, var) in options() {
        let long_word = format!("--{long}");
        assert!(
            help.contains(&long_word),
            "--help does not list {long_word}"
        );
        if let Some(c) = short {
            assert!(
                help.contains(&format!("-{c}, ")),
                "--help does not list -{c}"
            );
        }
        if let Some(var) = &var {
            assert!(
                help.contains(var),
                "--help does not name {var} for {long_word}"
            );
        }
        if ["help", "version", "license"].contains(&long.as_str()) {
            continue;
        }
        let first = |row: &String| row.split('|').nth(1).unwrap_or("").to_string();
        let named: Vec<&String> = rows
            .iter()
            .filter(|r| first(r).split(['`', ',', ' ']).any(|w| w == long_word))
            .collect();
        assert_eq!(
            named.len(),
            1,
            "{long_word} in the README's and options.md's tables: {named:?}"
        );
        if let Some(var) = &var {
            assert!(
                named[0].contains(var.as_str()),
                "{long_word}'s row does not name {var}"
            );
        }
        if let Some(c) = short {
            assert!(
                first(named[0]).contains(&format!("`-{c}`")),
                "{long_word}'s row lacks -{c}"
            );
        }
    }
}

/// The range of PIDONE_VERBOSITY that --help and the README give is the one the parser
/// accepts (src/cli/values.rs).
#[test]
fn the_documented_verbosity_range_is_the_parsed_one() {
    let values = read("src/cli/values.rs");
    let body = values.split("fn verbosity(").nth(1).expect("fn verbosity");
    let max = body
        .split("decimal::parse(value, ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("verbosity's bound");
    let range = format!("PIDONE_VERBOSITY=0-{max}");
    for doc in ["src/cli/help.txt", "README.md"] {
        assert!(read(doc).contains(&range), "{doc} does not say {range}");
    }
}

/// The events options.md lists are the ones the code emits.
#[test]
fn the_documented_events_are_the_emitted_ones() {
    let mut emitted = std::collections::BTreeSet::new();
    for file in ["src/supervisor.rs", "src/init.rs", "src/log/mod.rs"] {
        // The lines that name an event: `.event(LEVEL, "name")`, `self.send(.., "name")`,
        // and `(Level::Info, "child exited")` where the name is chosen before the call.
        let text = read(file);
        let text = text.split("#[cfg(test)]").next().unwrap();
        for line in text.lines().filter(|l| {
            l.contains(".event(")
                || l.contains("self.send(")
                || l.contains("(Level::Info, \"")
                || l.contains("reap_level, \"")
        }) {
            if let Some(name) = line.split('"').nth(1) {
                emitted.insert(name.to_string());
            }
        }
    }
    let options = read("docs/options.md");
    let mut documented = std::collections::BTreeSet::new();
    for line in options
        .lines()
        .skip_while(|l| *l != "The events are:")
        .take_while(|l| !l.starts_with("At `-vvv`"))
    {
        if let Some(rest) = line.strip_prefix("- `") {
            documented.insert(rest.split('`').next().unwrap().to_string());
        }
    }
    // The line after the list: the state machine's reasons, at -vvv.
    documented.insert("decided".to_string());
    assert_eq!(
        documented, emitted,
        "docs/options.md's events against the code's"
    );
}

/// docs/dropin.md's table of what each name means says what `Personality::meaning` says.
#[test]
fn the_per_name_table_matches_the_code() {
    use pidone::config::{Leftovers, NotPid1, PERSONALITIES, Target};
    let text = read("docs/dropin.md");
    let table: Vec<Vec<String>> = text
        .lines()
        .skip_while(|l| !l.starts_with("| | `pidone` (any other name)"))
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.split('|').map(|c| c.trim().to_string()).collect())
        .collect();
    let row = |name: &str| {
        table
            .iter()
            .find(|r| r[1] == name)
            .unwrap_or_else(|| panic!("dropin.md's table has no row '{name}'"))
            .clone()
    };
    let version = env!("CARGO_PKG_VERSION");
    for (column, personality) in PERSONALITIES.into_iter().enumerate() {
        let m = personality.meaning();
        let cell = |name: &str| row(name)[column + 2].clone();
        let names: Vec<String> = m
            .names
            .iter()
            .map(|n| format!("`{}`", String::from_utf8_lossy(n)))
            .collect();
        let header = &table[0][column + 2];
        if names.is_empty() {
            assert!(header.starts_with("`pidone`"), "{header}");
        } else {
            assert_eq!(*header, names.join(", "), "{personality:?}");
        }
        assert_eq!(
            cell("usage error"),
            format!("exit {}", m.usage_exit),
            "{personality:?}"
        );
        assert_eq!(
            cell("`--version`"),
            format!("`{}{version}{}`", m.version_prefix, m.version_suffix),
            "{personality:?}"
        );
        let target = cell("signals go to");
        match m.target {
            Target::Group => assert!(
                target.starts_with("the child's"),
                "{personality:?}: {target}"
            ),
            Target::Child => assert!(
                target.starts_with("the child ("),
                "{personality:?}: {target}"
            ),
        }
        let after = cell("after the main child exits on its own");
        let said = match m.leftovers {
            Leftovers::Drain => "one SIGTERM to the leftovers",
            Leftovers::Leave => "exit at once",
            Leftovers::TermGroup => "SIGTERM to the child's process group",
            Leftovers::WaitAll => "signal nothing",
        };
        assert!(after.starts_with(said), "{personality:?}: {after}");
        let not_pid1 = cell("when not PID 1");
        let said = match m.not_pid1 {
            NotPid1::Subreaper => "becomes a subreaper",
            NotPid1::Warn => "warns",
            NotPid1::Quiet => "nothing",
        };
        assert!(not_pid1.starts_with(said), "{personality:?}: {not_pid1}");
        let stops = cell("SIGTSTP, SIGTTIN, SIGTTOU");
        assert_eq!(
            stops.contains("SIGSTOP"),
            m.setsid_mode,
            "{personality:?}: {stops}"
        );
        let start = cell("the child runs in");
        assert_eq!(
            start.starts_with("a new session"),
            m.setsid_mode,
            "{personality:?}: {start}"
        );
    }
}

/// docs/design.md's module table names every file of src/, and only files that exist.
#[test]
fn the_module_table_matches_src() {
    let design = read("docs/design.md");
    let section = design
        .split("## Modules")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Modules section");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![repo.join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                // A directory of tests is named as one (`tests/`).
                if path.file_name().unwrap() != "tests" {
                    dirs.push(path);
                }
            } else {
                files.push(
                    path.strip_prefix(repo)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    for row in section.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = row.split('|').collect();
        let Some(named) = cells.get(2) else { continue };
        // `src/log/mod.rs` (...), `line.rs`: later names are in the first one's directory.
        let mut dir = String::new();
        for name in named.split('`').skip(1).step_by(2) {
            if name.starts_with("src/") {
                let named_dir = name.trim_end_matches('/');
                assert!(
                    repo.join(named_dir).exists(),
                    "design.md names {name}, which does not exist"
                );
                dir = name.rsplit_once('/').unwrap().0.to_string();
                files.retain(|f| f != name);
            } else if !dir.is_empty() {
                let path = format!("{dir}/{name}");
                assert!(
                    repo.join(&path).exists(),
                    "design.md names {path}, which does not exist"
                );
                files.retain(|f| *f != path);
            }
        }
    }
    assert!(
        files.is_empty(),
        "docs/design.md's module table does not name {files:?}"
    );
}

/// The cli fuzzer's dictionary (fuzz/dict/cli.dict) holds every option, short letter and
/// variable of the parser's own tables, so that a new one is fuzzed by name from the start.
#[test]
fn the_fuzz_dictionary_names_every_option_and_variable() {
    let dict = read("fuzz/dict/cli.dict");
    let mut words = Vec::new();
    for (long, short) in pidone::cli::options() {
        words.push(format!("\"--{long}\""));
        words.push(format!("\"--{long}=\""));
        if short != 0 {
            words.push(format!("\"-{}\"", char::from(short)));
        }
    }
    for var in pidone::cli::variables() {
        words.push(format!("\"\\x02{}=\"", var.to_str().unwrap()));
    }
    let missing: Vec<&String> = words
        .iter()
        .filter(|w| !dict.lines().any(|l| l == w.as_str()))
        .collect();
    assert!(missing.is_empty(), "fuzz/dict/cli.dict lacks {missing:?}");
}
