#![no_main]
//! libFuzzer entry point; the properties are in pidone_fuzz::log.

libfuzzer_sys::fuzz_target!(init: pidone_fuzz::log::init(), |data: &[u8]| {
    pidone_fuzz::log::check(data);
});
