//! Fuzzes the lexer, parser and interpreter: any text run as a cell must end in output or a
//! LangError, never a panic, a hang (the time limit) or a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lessonrun::lang::Interpreter;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let src = src.to_string();
    // As in execute.rs: the interpreter runs on a large stack so Python's recursion limit trips
    // before the thread's stack does.
    let worker = std::thread::Builder::new().stack_size(256 << 20).spawn(move || {
        let mut interp = Interpreter::new();
        interp.set_time_limit(Some(std::time::Duration::from_millis(200)));
        // A 256 MiB list is legal but takes seconds under ASan, which libFuzzer reports as a
        // hang; the time limit cannot interrupt one allocation.
        interp.set_max_sequence_bytes(16 << 20);
        let mut out = String::new();
        let _ = interp.run_cell(&src, 0, &mut out);
    });
    if let Ok(h) = worker {
        if let Err(p) = h.join() {
            std::panic::resume_unwind(p);
        }
    }
});
