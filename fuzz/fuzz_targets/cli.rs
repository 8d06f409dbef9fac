#![no_main]
//! libFuzzer entry point; the properties are in pidone_fuzz::cli.

libfuzzer_sys::fuzz_target!(init: pidone_fuzz::cli::init(), |data: &[u8]| {
    pidone_fuzz::cli::check(data);
});
