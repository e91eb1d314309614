use slab_core::{MemSlab, Timeout};

pub static PROBE: MemSlab = {
    const BLOCKS: usize = 4;
    const BLOCK_SIZE: usize = ::slab_core::__private::round_block_size(20, 16);
    #[unsafe(link_section = ".data.probe")]
    static STORAGE: ::slab_core::__private::Storage<
        ::slab_core::__private::align::A16,
        { ::slab_core::__private::buffer_len(BLOCKS, BLOCK_SIZE) },
    > = ::slab_core::__private::Storage::new();
    static USED: ::slab_core::__private::UsedMap<{ ::slab_core::__private::map_words(BLOCKS) }> =
        ::slab_core::__private::UsedMap::new();
    ::slab_core::__private::declare("PROBE", &STORAGE, &USED, BLOCK_SIZE, BLOCKS)
};
const _: () = {
    #[::slab_core::__private::linkme::distributed_slice(::slab_core::__private::SLAB_CORE_REGISTRY)]
    #[linkme(crate = ::slab_core::__private::linkme)]
    static ENTRY: &'static ::slab_core::MemSlab = &PROBE;
};

#[test]
fn probe() {
    assert_eq!(
        PROBE.alloc(Timeout::Forever),
        Err(slab_core::AllocError::NotReady)
    );
    slab_core::boot();
    let r = slab_core::registry();
    assert_eq!(r.len(), 1);
    let b = PROBE.alloc(Timeout::NoWait).unwrap();
    assert_eq!(b.as_ptr() as usize % 16, 0);
    assert_eq!(PROBE.block_size(), 32);
    println!("{r}");
    unsafe { PROBE.free(b) }.unwrap();
    assert_eq!(
        unsafe { PROBE.free(b) },
        Err(slab_core::FreeError::DoubleFree)
    );
}
