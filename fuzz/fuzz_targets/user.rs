#![no_main]
//! libFuzzer entry point; the properties are in pidone_fuzz::user.

libfuzzer_sys::fuzz_target!(init: pidone_fuzz::user::init(), |data: &[u8]| {
    pidone_fuzz::user::check(data);
});
