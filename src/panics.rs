//! Panics in worker threads become errors: a bug must end a run with a
//! message, never leave the process waiting for a thread that is gone.

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Run `f`, turning a panic into an error that says what went wrong.
pub fn catch<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        format!("internal error in {what}: {detail} (please report this as a bug)")
    })
}

/// Sets a flag when dropped, also while unwinding: the way a helper thread
/// learns that the work it accompanies has ended, however it ended.
pub struct SetOnDrop<'a>(pub &'a std::sync::atomic::AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    #[test]
    fn a_panic_becomes_an_error_with_its_message() {
        let e = catch("the test", || -> u32 { panic!("boom {}", 7) }).unwrap_err();
        assert!(e.contains("internal error in the test: boom 7"), "{e}");
        assert_eq!(catch("x", || 5), Ok(5));
    }

    #[test]
    fn a_helper_thread_ends_when_the_work_panics() {
        // The shape of the A1111 client: a poller runs until the request ends.
        let done = AtomicBool::new(false);
        let outcome = catch("the request", || {
            std::thread::scope(|s| {
                s.spawn(|| {
                    while !done.load(Ordering::SeqCst) {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                });
                let _done = SetOnDrop(&done);
                panic!("the request panicked");
            })
        });
        // Reaching this line at all is the test: without the guard the scope never joins.
        assert!(outcome.unwrap_err().contains("the request panicked"));
    }
}
