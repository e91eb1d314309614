//! Blocks passed between threads: a producer fills blocks of a declared
//! slab and sends them, as `Block<'static>`, through a channel to a
//! consumer, which reads them and drops them. Dropping a block frees it,
//! straight to the producer when it is waiting for one. No `unsafe`.
//!
//! Run it: `cargo run -p examples --bin producer_consumer`

use std::sync::mpsc;
use std::thread;

use slab_core::{AllocError, Block, MemSlab, Timeout, mem_slab};

/// Four blocks for many more messages: the producer has to wait.
#[mem_slab(blocks = 4, size = 64)]
static MESSAGES: MemSlab;

const COUNT: usize = 1000;

fn text(n: usize) -> String {
    format!("message {n:04} from the producer")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    slab_core::boot();
    println!(
        "producer_consumer: {COUNT} messages through {} ({} blocks of {} bytes)",
        MESSAGES.name(),
        MESSAGES.num_blocks(),
        MESSAGES.block_size()
    );

    // A `Block<'static>` is `Send`: it crosses the channel as it is.
    let (tx, rx) = mpsc::channel::<Block<'static>>();
    let producer = thread::spawn(move || -> Result<(), AllocError> {
        for n in 0..COUNT {
            // Waits (up to 5 s) for the consumer to drop a block.
            let mut message = MESSAGES.alloc_block(Timeout::secs(5))?;
            message
                .extend_from_slice(text(n).as_bytes())
                .expect("a message fits in a block");
            tx.send(message).expect("the consumer is listening");
        }
        Ok(())
    });

    // Hold the first blocks until the producer has run the slab dry and
    // waits in `alloc`: then each drop below hands a block to it.
    let mut held: Vec<Block<'static>> = rx.iter().take(MESSAGES.num_blocks()).collect();
    while MESSAGES.num_waiting() == 0 {
        thread::yield_now();
    }
    println!(
        "consumer: holding {} messages; the slab has {} free and the producer waits",
        held.len(),
        MESSAGES.num_free()
    );

    let mut received = 0;
    for message in held.drain(..).chain(rx.iter()) {
        let expected = text(received);
        assert_eq!(message.filled(), expected.as_bytes(), "message {received}");
        received += 1;
    } // each message is freed as it is dropped, here
    producer.join().expect("the producer ran")?;

    println!("consumer: {received} messages received in order, each as written");
    println!(
        "{}: used {}, free {}, max used {}",
        MESSAGES.name(),
        MESSAGES.num_used(),
        MESSAGES.num_free(),
        MESSAGES.max_used()
    );
    Ok(())
}
