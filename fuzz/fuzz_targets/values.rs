#![no_main]
//! libFuzzer entry point; the properties are in pidone_fuzz::values.

libfuzzer_sys::fuzz_target!(init: pidone_fuzz::values::init(), |data: &[u8]| {
    pidone_fuzz::values::check(data);
});
