//! A tour of slab.
fn main() {
    slab_core::boot();
    println!("{}", slab_core::registry());
}
