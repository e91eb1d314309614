//! Runs the `producer_consumer` example and checks what it prints: every
//! message arrived as written, the producer had to wait for the consumer
//! (the slab ran dry and a dropped block reached the waiting producer), and
//! every block is back.

use std::process::Command;

#[test]
fn producer_consumer_passes_blocks_between_threads() {
    let out = Command::new(env!("CARGO_BIN_EXE_producer_consumer"))
        .output()
        .expect("the example runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "producer_consumer: 1000 messages through MESSAGES (4 blocks of 64 bytes)",
            "consumer: holding 4 messages; the slab has 0 free and the producer waits",
            "consumer: 1000 messages received in order, each as written",
            "MESSAGES: used 0, free 4, max used 4",
        ],
        "{stderr}"
    );
}
