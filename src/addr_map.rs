//! Hash maps keyed by addresses of the process's own objects (a tensor's id, a Python
//! object's address): hashed by one folded multiply, as foldhash does, rather than SipHash.
//! No untrusted party chooses these keys, and they are looked up on hot paths (a tangent per
//! op and dual level, a reference per object the cycle collector follows).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// A map from addresses to `V`.
pub type AddrMap<V> = HashMap<usize, V, BuildHasherDefault<AddrHasher>>;

#[derive(Default)]
pub struct AddrHasher(u64);

impl std::hash::Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_usize(self.0 as usize ^ b as usize);
        }
    }

    /// The 128-bit product's halves folded: both the low bits (the bucket) and the high
    /// ones (the tag) depend on every bit of the address, whose low four are always zero.
    fn write_usize(&mut self, a: usize) {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let p = ((a as u64) ^ self.0) as u128 * K as u128;
        self.0 = p as u64 ^ (p >> 64) as u64;
    }

    fn write_u64(&mut self, a: u64) {
        self.write_usize(a as usize);
    }
}
