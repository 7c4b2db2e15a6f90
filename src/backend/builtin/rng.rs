//! Deterministic randomness: a SplitMix64 stream seeded by hashing the
//! inputs that should influence a choice, and a position hash for per-pixel
//! noise (so results never depend on iteration order or thread count).

#[derive(Debug, Clone)]
pub struct Rng(u64);

/// FNV-1a over bytes, then mixed; stable across platforms and Rust versions.
pub fn hash(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.iter() {
            h ^= *b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A uniform value in [0, 1) for a pixel position and a seed.
#[inline]
pub fn at(seed: u64, x: u32, y: u32) -> f32 {
    (bits_at(seed, x, y) >> 40) as f32 / (1u64 << 24) as f32
}

/// 64 hashed bits for a pixel: several independent uniforms from one hash.
pub fn bits_at(seed: u64, x: u32, y: u32) -> u64 {
    mix(seed ^ ((x as u64) << 32 | y as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// The `k`-th of the 10-bit uniforms in `bits` (k < 6), in [0, 1).
pub fn unit10(bits: u64, k: u32) -> f32 {
    ((bits >> (k * 10)) & 0x3ff) as f32 / 1024.0
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, p: f32) -> bool {
        self.unit() < p
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}
