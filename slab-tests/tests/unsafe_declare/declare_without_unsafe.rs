// `__private::declare` trusts that its storage is given to no other slab:
// calling it is `unsafe`. (Its sizes it checks itself.)
use slab_core::__private::{buffer_len, declare, map_words, slab, Storage, UsedMap};
use slab_core::MemSlab;

static STORAGE: Storage<usize, { buffer_len(4, 8) }> = Storage::new();
static USED: UsedMap<{ map_words(4) }> = UsedMap::new();
static SLAB: MemSlab = slab(declare("BAD", &STORAGE, &USED, 8, 8, 4, false));

fn main() {
    let _ = &SLAB;
}
