//! Seeds: one `u64` drives everything; each call gets its own stream derived
//! from the seed and the call's index, so calls can be made in any order, on
//! any number of threads or machines, with the same bytes.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// SplitMix64's finaliser: a fast, well-mixed bijection on `u64`.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The random stream of call `index` under `seed`.
pub fn call_rng(seed: u64, index: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix(seed ^ mix(index.wrapping_add(1))))
}

/// The random stream of call `index` once its scenario is known: the
/// scenario's name is mixed in, so two scenarios at the same index differ.
pub fn scenario_rng(seed: u64, index: u64, scenario: &str) -> ChaCha8Rng {
    let salt = scenario.bytes().fold(0xCA11_F011u64, |h, b| mix(h ^ u64::from(b)));
    ChaCha8Rng::seed_from_u64(mix(seed ^ mix(index.wrapping_add(1)) ^ salt))
}
