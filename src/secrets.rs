//! Secrets from files (issue 24): see `--env-from-files`.
