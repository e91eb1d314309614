//! The one place for the size and alignment rules of a slab, shared by the
//! declaration macros' expansion (through `__private`) and by
//! [`MemSlab::init`](crate::MemSlab::init).

use crate::error::{FreeError, InitError};

/// The pointer word: the minimum block size and alignment.
pub const WORD: usize = core::mem::size_of::<usize>();

/// The largest alignment a declaration may ask for (`#[repr(align)]`'s limit).
pub const MAX_ALIGN: usize = 1 << 29;

/// Rounds a requested block size up to a multiple of `max(align, WORD)`;
/// `align` must be a power of two. Saturates instead of overflowing so that a
/// bad declaration yields one error (the rule's own), not two.
pub const fn round_block_size(size: usize, align: usize) -> usize {
    let align = if align > WORD { align } else { WORD };
    let mask = align - 1;
    match size.checked_add(mask) {
        Some(s) => s & !mask,
        None => usize::MAX & !mask,
    }
}

/// `blocks × block_size`, or 0 when that overflows (the declaration's own
/// assertion reports the overflow).
pub const fn buffer_len(num_blocks: usize, block_size: usize) -> usize {
    match num_blocks.checked_mul(block_size) {
        Some(n) => n,
        None => 0,
    }
}

/// Words of a declared slab's free flags: one byte per block and a
/// sentinel byte (see `MemSlab`'s fast paths), rounded up to words.
pub const fn map_words(num_blocks: usize) -> usize {
    match num_blocks.checked_add(1) {
        Some(bytes) => bytes.div_ceil(WORD),
        None => usize::MAX / WORD,
    }
}

/// A validated slab shape, with the constants that let `free` check a
/// pointer and find its block index without a division (Cortex-M0 has no
/// divide instruction): a block size `b = odd << shift` divides an offset
/// `x` exactly iff the low `shift` bits of `x` are zero and
/// `(x >> shift) * odd⁻¹ (mod 2^N)` — which is then the exact quotient — is
/// below the block count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub block_size: usize,
    pub num_blocks: usize,
    /// `block_size × num_blocks`: the bytes the blocks span.
    pub span: usize,
    shift: u32,
    /// `(1 << shift) - 1`: the low bits a block offset has clear.
    low_bits: usize,
    odd_inverse: usize,
}

impl Geometry {
    /// The shape of a slab that has none yet.
    pub const EMPTY: Self = Self {
        block_size: 0,
        num_blocks: 0,
        span: 0,
        shift: 0,
        low_bits: 0,
        odd_inverse: 0,
    };

    /// Checks the rules of `k_mem_slab_init` (the buffer's own checks are
    /// the caller's).
    pub const fn new(block_size: usize, num_blocks: usize) -> Result<Self, InitError> {
        if block_size == 0 {
            return Err(InitError::ZeroBlockSize);
        }
        if !block_size.is_multiple_of(WORD) {
            return Err(InitError::UnalignedBlockSize);
        }
        if num_blocks == 0 {
            return Err(InitError::ZeroBlocks);
        }
        let Some(span) = block_size.checked_mul(num_blocks) else {
            return Err(InitError::Overflow);
        };
        if span > isize::MAX as usize {
            return Err(InitError::Overflow);
        }
        let shift = block_size.trailing_zeros();
        Ok(Self {
            block_size,
            num_blocks,
            span,
            shift,
            low_bits: (1 << shift) - 1,
            odd_inverse: odd_inverse(block_size >> shift),
        })
    }

    /// The block size's trailing zero bits.
    pub const fn shift(&self) -> u32 {
        self.shift
    }

    /// The inverse of the block size's odd part, modulo 2^N.
    pub const fn odd_inverse(&self) -> usize {
        self.odd_inverse
    }

    /// Whether `offset` is inside the buffer and aligned like a block as
    /// far as the low bits tell: a cheap necessary condition of
    /// [`index_of`](Self::index_of) (exact when the block size is a power
    /// of two), enough to make the address safe to read a word from.
    #[inline]
    pub fn may_be_block(&self, offset: usize) -> bool {
        offset < self.span && offset & self.low_bits == 0
    }

    /// The index of the block that starts `offset` bytes into the buffer.
    ///
    /// The low bits clear and the quotient below the block count together
    /// already prove `offset < span` (the quotient is exact, see the type's
    /// docs, and `span` fits in `isize`), so the hot path has two tests;
    /// which error it is, `Foreign` or `Misaligned`, is sorted out only on
    /// the way out.
    #[inline]
    pub fn index_of(&self, offset: usize) -> Result<usize, FreeError> {
        let index = (offset >> self.shift).wrapping_mul(self.odd_inverse);
        if offset & self.low_bits == 0 && index < self.num_blocks {
            Ok(index)
        } else {
            Err(self.rejection(offset))
        }
    }

    /// [`index_of`](Self::index_of) for an offset whose low bits are
    /// known to be clear (one that passed [`may_be_block`](Self::may_be_block)).
    #[inline]
    pub fn index_of_aligned(&self, offset: usize) -> Option<usize> {
        debug_assert_eq!(offset & self.low_bits, 0);
        let index = (offset >> self.shift).wrapping_mul(self.odd_inverse);
        (index < self.num_blocks).then_some(index)
    }

    #[cold]
    fn rejection(&self, offset: usize) -> FreeError {
        if offset >= self.span {
            FreeError::Foreign
        } else {
            FreeError::Misaligned
        }
    }
}

/// The inverse of an odd `d` modulo 2^N, by Newton's iteration (each step
/// doubles the correct low bits; `d` itself is right to 3 bits).
const fn odd_inverse(d: usize) -> usize {
    let mut x = d;
    let mut i = 0;
    while i < 6 {
        x = x.wrapping_mul(2usize.wrapping_sub(d.wrapping_mul(x)));
        i += 1;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(round_block_size(1, 1), WORD);
        assert_eq!(round_block_size(WORD + 1, 1), 2 * WORD);
        assert_eq!(round_block_size(20, 32), 32);
        assert_eq!(round_block_size(64, 64), 64);
        assert_eq!(buffer_len(usize::MAX, 2), 0);
        assert_eq!(map_words(1), 1);
        assert_eq!(map_words(WORD - 1), 1);
        assert_eq!(map_words(WORD), 2);
    }

    #[test]
    fn init_rules() {
        assert_eq!(Geometry::new(0, 1), Err(InitError::ZeroBlockSize));
        assert_eq!(
            Geometry::new(WORD + 1, 1),
            Err(InitError::UnalignedBlockSize)
        );
        assert_eq!(Geometry::new(WORD, 0), Err(InitError::ZeroBlocks));
        assert_eq!(
            Geometry::new(WORD * 2, usize::MAX / 2),
            Err(InitError::Overflow)
        );
    }

    #[test]
    fn index_matches_division() {
        // Fewer shapes under miri, which is slow.
        let (sizes, blocks) = if cfg!(miri) { (6, 5) } else { (40, 37) };
        for block_size in (WORD..=sizes * WORD).step_by(WORD) {
            let g = Geometry::new(block_size, blocks).unwrap();
            for offset in 0..g.span + 2 * block_size {
                let expected = if offset >= g.span {
                    Err(FreeError::Foreign)
                } else if offset % block_size != 0 {
                    Err(FreeError::Misaligned)
                } else {
                    Ok(offset / block_size)
                };
                assert_eq!(
                    g.index_of(offset),
                    expected,
                    "size {block_size} offset {offset}"
                );
            }
        }
    }
}
