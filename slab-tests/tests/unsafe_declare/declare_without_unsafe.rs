// `__private::declare` trusts its storage sizes: calling it is `unsafe`.
use slab_core::__private::{buffer_len, declare, map_words, Storage, UsedMap};
use slab_core::MemSlab;

static STORAGE: Storage<usize, { buffer_len(4, 8) }> = Storage::new();
static USED: UsedMap<{ map_words(4) }> = UsedMap::new();
static SLAB: MemSlab = declare("BAD", &STORAGE, &USED, 8, 4);

fn main() {
    let _ = &SLAB;
}
