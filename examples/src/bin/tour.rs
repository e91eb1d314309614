//! A tour of slab: declare slabs at compile time, boot, allocate with
//! timeouts, watch waits and hand-offs between threads, inspect the
//! registry.
//!
//! Run it: `cargo run -p examples --bin tour`

use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use slab_core::{AllocError, FreeError, MemSlab, Timeout, mem_slab, mem_slabs};

/// Radio frames in flight between the producers and the consumers.
#[mem_slab(blocks = 4, size = 256)]
static FRAMES: MemSlab;

/// A parsed command, allocated by type.
#[allow(dead_code)]
struct Command {
    opcode: u16,
    argument: u32,
    payload: [u8; 20],
}

mem_slabs! {
    /// Outgoing packets.
    pub static TX_BUFS(blocks = 8, size = 128);
    /// Parsed commands, 16-byte aligned for a DMA engine.
    static COMMANDS(blocks = 4, type = Command, align = 16);
    /// Log lines, under a friendlier name.
    static LOG_LINES(blocks = 16, size = 42, name = "log");
}

const PRODUCERS: usize = 3;
const FRAMES_EACH: usize = 200;

/// A frame's pointer, sent from a producer to a consumer.
struct Frame(NonNull<u8>);
// SAFETY: a frame is plain memory owned by whoever holds the pointer.
unsafe impl Send for Frame {}

fn main() {
    println!("slab tour: static fixed-size blocks, Zephyr k_mem_slab semantics\n");

    println!("1. Declared at compile time: buffers, slabs and registry entries exist,");
    println!("   but nothing is threaded before boot():\n");
    print_table();
    assert_eq!(FRAMES.alloc(Timeout::Forever), Err(AllocError::NotReady));
    println!("   FRAMES.alloc(Forever) before boot -> Err(NotReady), at once\n");

    slab_core::boot();
    println!("2. boot() threaded every free list (one word written per block):\n");
    print_table();

    println!("3. Blocks, typed and aligned:");
    let command = COMMANDS
        .alloc(Timeout::NoWait)
        .expect("a free command block");
    println!(
        "   COMMANDS block at {:p}: {} bytes, {}-byte aligned",
        command,
        COMMANDS.block_size(),
        1 << (command.as_ptr() as usize).trailing_zeros().min(12)
    );
    {
        let mut line = LOG_LINES.alloc_block(Timeout::NoWait).expect("a log line");
        let text = b"boot ok";
        for (slot, byte) in line.as_uninit_mut().iter_mut().zip(text) {
            slot.write(*byte);
        }
        println!(
            "   a `Block` of {} (42 bytes rounded up to the word: {} bytes) frees itself on drop",
            LOG_LINES.name(),
            line.len()
        );
    }

    println!("\n4. Bad frees are refused and change nothing:");
    let mut not_a_block = 0u64;
    // SAFETY: both frees below are refused before anything is touched.
    let foreign = unsafe { COMMANDS.free(NonNull::from(&mut not_a_block).cast()) };
    // SAFETY: `command` is ours; freed once here.
    unsafe { COMMANDS.free(command) }.expect("free an owned block");
    // SAFETY: refused: the block is already free.
    let twice = unsafe { COMMANDS.free(command) };
    println!("   free(&local)      -> {foreign:?}");
    println!(
        "   free(block) twice -> {twice:?}  (errno {})",
        FreeError::DoubleFree.errno()
    );

    println!("\n5. Timeouts: TX_BUFS exhausted, then alloc(Timeout::millis(20)):");
    let held: Vec<_> = std::iter::from_fn(|| TX_BUFS.alloc(Timeout::NoWait).ok()).collect();
    let start = Instant::now();
    let result = TX_BUFS.alloc(Timeout::millis(20));
    println!(
        "   -> {result:?} after {:.1} ms (NoWait would give {:?})",
        start.elapsed().as_secs_f64() * 1e3,
        TX_BUFS.alloc(Timeout::NoWait).unwrap_err()
    );
    for block in held {
        // SAFETY: ours, freed once.
        unsafe { TX_BUFS.free(block) }.expect("free an owned block");
    }

    println!(
        "\n6. {PRODUCERS} producers x {FRAMES_EACH} frames through FRAMES ({} blocks), 2 consumers.",
        FRAMES.num_blocks()
    );
    println!("   A producer that finds no free frame waits (Timeout::Forever); each free");
    println!(
        "   hands its frame straight to the most urgent waiter (producer 0 has priority -1).\n"
    );
    let waits = produce_and_consume();
    for (id, (count, total)) in waits.iter().enumerate() {
        let who = if id == 0 {
            format!("producer {id} (priority -1)")
        } else {
            format!("producer {id}")
        };
        println!(
            "   {who:<26} waited {count:>3} times, {:>5.0} µs on average",
            total.as_secs_f64() * 1e6 / (*count).max(1) as f64
        );
    }
    let handed_off: usize = waits.iter().map(|(count, _)| count).sum();
    println!(
        "   {handed_off} of {} frames reached a waiting producer by hand-off",
        PRODUCERS * FRAMES_EACH
    );
    println!();
    print_table();

    let frames = slab_core::registry()
        .find("FRAMES")
        .expect("FRAMES is registered");
    assert_eq!(frames.num_used(), 0);
    assert_eq!(frames.max_used(), frames.num_blocks());
    println!(
        "FRAMES stats: {:?}\nEvery block is back; max used reached all {} blocks.",
        frames.stats(),
        frames.num_blocks()
    );
}

/// Runs the producers and consumers; returns how often and how long each
/// producer waited.
fn produce_and_consume() -> Vec<(usize, Duration)> {
    let (tx, rx) = mpsc::channel::<Frame>();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let consumed = std::sync::Arc::new(AtomicUsize::new(0));
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let rx = rx.clone();
            let consumed = consumed.clone();
            thread::spawn(move || {
                loop {
                    let frame = match rx.lock().unwrap().recv() {
                        Ok(frame) => frame,
                        Err(_) => return, // every producer is done
                    };
                    // SAFETY: the producer wrote the first 2 bytes.
                    let header = unsafe { frame.0.as_ptr().cast::<[u8; 2]>().read() };
                    assert!(usize::from(header[0]) < PRODUCERS);
                    thread::sleep(Duration::from_micros(200)); // "process" it
                    // SAFETY: the frame came from FRAMES and is ours now.
                    unsafe { FRAMES.free(frame.0) }.expect("free a frame");
                    consumed.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|id| {
            let tx = tx.clone();
            thread::spawn(move || {
                if id == 0 {
                    slab_core::set_thread_priority(-1);
                }
                let (mut waits, mut waited) = (0, Duration::ZERO);
                for seq in 0..FRAMES_EACH {
                    let frame = match FRAMES.alloc(Timeout::NoWait) {
                        Ok(frame) => frame,
                        Err(_) => {
                            waits += 1;
                            let start = Instant::now();
                            let frame =
                                FRAMES.alloc(Timeout::Forever).expect("a frame, eventually");
                            waited += start.elapsed();
                            frame
                        }
                    };
                    // SAFETY: the frame is ours and 256 bytes long.
                    unsafe {
                        frame
                            .as_ptr()
                            .cast::<[u8; 2]>()
                            .write([id as u8, seq as u8])
                    };
                    tx.send(Frame(frame)).expect("consumers are running");
                }
                (waits, waited)
            })
        })
        .collect();
    drop(tx);
    let waits = producers.into_iter().map(|p| p.join().unwrap()).collect();
    for c in consumers {
        c.join().unwrap();
    }
    assert_eq!(consumed.load(Ordering::Relaxed), PRODUCERS * FRAMES_EACH);
    waits
}

fn print_table() {
    for line in slab_core::registry().to_string().lines() {
        println!("   {line}");
    }
    println!();
}
