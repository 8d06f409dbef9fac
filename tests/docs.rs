//! The files users copy agree with what the documentation and the tests promise:
//! Dockerfile.example against tests/docker/Dockerfile.local (the variant the Docker tests
//! build), its pinned images and its explanations, and examples/kubernetes.yaml. Static
//! checks of text: no engine, no process.

mod common;

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
