//! One test in a process of its own, for what belongs to a whole process (peak memory, resource
//! limits) while the other tests of this binary run in parallel: the binary is started again
//! with only that test, `VERBATIM_TEST_OWN_PROCESS` naming it.

const VARIABLE: &str = "VERBATIM_TEST_OWN_PROCESS";

/// Whether the test `name` of `module` (its `module_path!()`) is to do its work in this
/// process: true in the process started for it. Elsewhere it starts that process, relays its
/// output, fails when it failed, and returns false.
pub fn here(module: &str, name: &str) -> bool {
    // module_path!() begins with the test crate's name, which test names leave out.
    let test = match module.split_once("::") {
        Some((_, path)) => format!("{path}::{name}"),
        None => name.to_string(),
    };
    if std::env::var(VARIABLE).is_ok_and(|v| v == test) {
        return true;
    }
    let out = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args([test.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(VARIABLE, &test)
        .output()
        .expect("starting the test binary again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{test} failed in its own process");
    assert!(
        stdout.contains("test result: ok. 1 passed"),
        "{test} did not run in its own process"
    );
    false
}
