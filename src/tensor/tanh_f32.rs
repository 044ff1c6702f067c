//! float32 `tanh` as MKL VML's `vsTanh` (HA) computes it, bit for bit on x86-64: the engine's
//! definition of float32 `tanh`.
//!
//! MKL is closed source; the algorithm was inferred from exhaustive sweeps against `torch.tanh`
//! (docs/divergences-differential.md, "MKL vsTanh", and tests/it/unit/tensor/testdata/fit_vml_tanh.py): on |x| the
//! result is one polynomial evaluated in double and rounded once to float32, `x * Q(x)` with
//! `Q` of degree 5 below 1/8, then a degree-6 polynomial in `|x| - centre` on each quarter of a
//! binade up to 9.125, and 1 beyond; the sign is put back last. The polynomials' errors (up to
//! ~0.013 ulp of the float32 result) are what make MKL differ from the correctly rounded tanh on
//! ~0.1% of inputs, so their coefficients had to be recovered, not derived: they were fitted by
//! linear programming to the inputs whose tanh lies near a float32 rounding midpoint, and with
//! them all 2^32 float32 inputs give torch's bits.

use ndarray::ArrayD;

use super::DType;
use super::storage::Storage;

const fn f(bits: u64) -> f64 {
    f64::from_bits(bits)
}

/// Where MKL's first polynomial ends and the quarter-binade pieces start.
pub const SMALL_END: f32 = 0.125;
/// From here on the result is 1 (the last piece already rounds to 1 from 9.0108).
pub const ONE_FROM: f32 = 9.125;

/// `Q`'s coefficients, lowest degree first: tanh(a) = a * Q(a) for a < 1/8.
pub const SMALL: [f64; 6] = [
    f(0x3ff0_0000_0006_a31a), // 1.0000000000965827
    f(0xbe6d_efd8_b4b8_6c18), // -5.57618223507194e-08
    f(0xbfd5_553f_7294_1af0), // -0.3333281153613106
    f(0xbf27_6cc0_0065_7ae2), // -0.00017871707695867658
    f(0x3fc1_6be2_4d29_371c), // 0.13610485808970274
    f(0xbf94_5bc5_a6c8_95c1), // -0.019881332688006518
];

/// Per quarter binade from 1/8 (index: exponent and top two mantissa bits of |x|): the piece's
/// centre and its coefficients in `|x| - centre`, lowest degree first.
#[rustfmt::skip]
pub const PIECES: [(f64, [f64; 7]); 25] = [
    // [0.125, 0.15625)
    (0.140625, [f(0x3fc1_e1dd_055c_d98d), f(0x3fef_601c_af82_b9b1), f(0xbfc1_8883_bc2c_45b8), f(0xbfd3_b134_5156_9276), f(0x3fb6_b175_2a47_d1a0), f(0x3fbc_7cb8_1d12_8da7), f(0xbfa4_bad5_6252_3f11)]),
    // [0.15625, 0.1875)
    (0.171875, [f(0x3fc5_c930_7227_9eea), f(0x3fef_12af_f815_be6b), f(0xbfc5_279f_e824_a25e), f(0xbfd2_ea40_486c_9547), f(0x3fba_fb6b_b442_2827), f(0x3fba_4261_f305_d751), f(0xbfb2_6bee_cff0_d7b0)]),
    // [0.1875, 0.21875)
    (0.203125, [f(0x3fc9_a5f1_be76_65e2), f(0x3fee_b715_9ba4_7d15), f(0xbfc8_9e50_f378_c023), f(0xbfd2_02a2_fbc4_fbbf), f(0x3fbe_d94a_9924_0103), f(0x3fb7_3658_c7b5_c18d), f(0xbfb3_3e5d_6712_0c57)]),
    // [0.21875, 0.25)
    (0.234375, [f(0x3fcd_7665_cf9b_bac2), f(0x3fee_4dfb_167a_0307), f(0xbfcb_e6cb_857f_0da6), f(0xbfd0_fdf0_97c9_fdda), f(0x3fc1_1f5f_f708_dbda), f(0x3fb4_4068_fdf5_c867), f(0xbfac_9676_ca75_da75)]),
    // [0.25, 0.3125)
    (0.28125, [f(0x3fd1_8a39_9e6b_4572), f(0x3fed_98b3_6d93_b138), f(0xbfd0_38f7_21d0_7cc2), f(0xbfce_91ee_4eab_51a1), f(0x3fc3_3160_33d0_2ba4), f(0x3fae_3b80_8ba6_9cd9), f(0xbfb2_1532_fc64_ac6b)]),
    // [0.3125, 0.375)
    (0.34375, [f(0x3fd5_2c2c_561d_848a), f(0x3fec_7f72_3532_bd38), f(0xbfd2_daf9_aab5_c71f), f(0xbfc9_8587_6f96_9bfa), f(0x3fc5_0342_6b0b_79c5), f(0x3fa0_54f1_7cd4_3cbd), f(0xbfb1_5c78_1e8d_a4b4)]),
    // [0.375, 0.4375)
    (0.40625, [f(0x3fd8_a87e_14b3_3ca5), f(0x3feb_3ff2_ecca_2432), f(0xbfd4_ff71_4abb_9abd), f(0xbfc4_271f_1e26_3515), f(0x3fc5_c361_22c4_8e87), f(0x3f78_379d_1de5_8684), f(0xbfb1_11fc_1f95_366c)]),
    // [0.4375, 0.5)
    (0.46875, [f(0x3fdb_fae6_ab97_242d), f(0x3fe9_e23a_e0ee_8e6f), f(0xbfd6_a1d3_ae90_40bb), f(0xbfbd_71f6_8054_7352), f(0x3fc5_8652_85f0_88e8), f(0xbf91_960d_abac_d995), f(0xbfad_35cb_f5e2_4dc1)]),
    // [0.5, 0.625)
    (0.5625, [f(0x3fe0_5086_f2f6_dba8), f(0x3fe7_aeae_682d_0f0f), f(0xbfd8_25df_8faf_8712), f(0xbfab_d0b8_0cf5_a660), f(0x3fc3_a4da_f270_bed3), f(0xbfa6_4303_d61a_8597), f(0xbfa3_2886_3e97_669c)]),
    // [0.625, 0.75)
    (0.6875, [f(0x3fe3_157d_fe9f_718f), f(0x3fe4_9e6b_f26b_24a8), f(0xbfd8_97d2_7a7f_4789), f(0x3f8d_76aa_a112_e9df), f(0x3fbe_9813_3f72_da62), f(0xbfaf_85bd_1a1a_90df), f(0xbf87_3d19_c07e_46d0)]),
    // [0.75, 0.875)
    (0.8125, [f(0x3fe5_788f_f10d_2514), f(0x3fe1_97fc_d997_9b4e), f(0xbfd7_9c0e_0ce6_84c9), f(0x3fb0_72cc_4e35_07d9), f(0x3fb4_716a_de14_d1ca), f(0xbfb0_0ac2_5a91_64fe), f(0x3f7d_ba45_8be1_580d)]),
    // [0.875, 1.0)
    (0.9375, [f(0x3fe7_7d83_8e34_06d5), f(0x3fdd_834d_2b70_4e59), f(0xbfd5_aa21_b19f_2cf0), f(0x3fb8_4349_a3ff_e1cc), f(0x3fa6_26a8_1ff2_e153), f(0xbfab_2a5e_0758_a5e7), f(0x3f91_5ade_a8c6_69fc)]),
    // [1.0, 1.25)
    (1.125, [f(0x3fe9_e5cb_5ba4_9a79), f(0x3fd6_1500_2940_e0e6), f(0xbfd1_defa_c2f8_46a5), f(0x3fbc_68d8_4cd3_86bc), f(0x3f6a_c4fd_cbf8_1d15), f(0xbfa0_6759_49ec_5cd0), f(0x3f92_e8d6_4b82_137f)]),
    // [1.25, 1.5)
    (1.375, [f(0x3fec_278a_52a4_b204), f(0x3fcc_ea74_4b38_b862), f(0xbfc9_70e0_7d03_1d02), f(0x3fb9_7d80_ddd2_5d8b), f(0xbf95_dd71_f324_3043), f(0xbf83_7c33_1f6f_5605), f(0x3f86_7dfe_042a_aa36)]),
    // [1.5, 1.75)
    (1.625, [f(0x3fed_9c6f_afe5_e121), f(0x3fc2_65e3_3835_4180), f(0xbfc1_0646_d2c2_83f5), f(0x3fb3_3df2_1fa9_a63c), f(0xbf99_d2bd_b7aa_52ee), f(0x3f56_d9c0_dfce_db12), f(0x3f70_e8fd_7013_3493)]),
    // [1.75, 2.0)
    (1.875, [f(0x3fee_8789_eceb_f519), f(0x3fb6_fcfa_6b7f_f8c9), f(0xbfb5_ee89_1857_e4ab), f(0x3faa_85c1_aa5f_d24e), f(0xbf95_5d6c_e1e9_0de0), f(0x3f72_d88c_40f6_09bf), f(0x3f45_6234_0707_b4e8)]),
    // [2.0, 2.5)
    (2.25, [f(0x3fef_4bfd_6c28_8bde), f(0x3fa6_4108_91f2_6faf), f(0xbfa5_c3d8_87b1_1c44), f(0x3f9b_bce5_d4d3_eedd), f(0xbf89_3cf4_5c21_0e64), f(0x3f70_4a06_cad9_5ef6), f(0xbf47_6f08_b197_7647)]),
    // [2.5, 3.0)
    (2.75, [f(0x3fef_bd50_9ae7_d0b2), f(0x3f90_9a7a_8e1e_b304), f(0xbf90_77e0_c689_7123), f(0x3f85_9947_3062_4d96), f(0xbf74_e3b7_a257_12f9), f(0x3f5f_5f58_7148_3b74), f(0xbf41_e0c7_56ab_5af0)]),
    // [3.0, 3.5)
    (3.25, [f(0x3fef_e767_95d3_b7dc), f(0x3f78_8ef6_e4a7_f91d), f(0xbf78_7c16_8d09_c476), f(0x3f70_3963_dcb7_fe10), f(0xbf60_0767_ed77_accc), f(0x3f49_3f73_a721_ad1d), f(0xbf2f_efa6_1631_5a7f)]),
    // [3.5, 4.0)
    (3.75, [f(0x3fef_f6f1_7a75_75c7), f(0x3f62_1a7b_4431_a90b), f(0xbf62_155b_824b_2e2f), f(0x3f58_0e72_4c6f_8cc9), f(0xbf47_f340_0d11_a5fc), f(0x3f33_2dd8_2f67_8515), f(0xbf19_15e9_7f21_0fb2)]),
    // [4.0, 5.0)
    (4.5, [f(0x3fef_fdfa_7222_5709), f(0x3f40_2c03_ca70_309e), f(0xbf40_2afb_6a49_fc2e), f(0x3f35_8604_c118_970a), f(0xbf25_8113_76b1_02ee), f(0x3f11_e7e3_9713_0013), f(0xbef7_bbda_fe2f_a849)]),
    // [5.0, 6.0)
    (5.5, [f(0x3fef_ffb9_f2fd_f167), f(0x3f11_8347_5e03_c320), f(0xbf11_831e_49f6_f11b), f(0x3f07_529a_8302_21b2), f(0xbef7_5244_b778_290b), f(0x3ee3_762b_4eb9_41f3), f(0xbec9_e546_15d2_1fc0)]),
    // [6.0, 7.0)
    (6.5, [f(0x3fef_fff6_84ff_0805), f(0x3ee2_f61b_3b7a_3ca2), f(0xbee2_f612_bfdc_7dee), f(0x3ed9_4101_28aa_8162), f(0xbec9_4155_cce1_73e6), f(0x3eb5_14f8_591b_2c31), f(0xbe9c_12d3_7b1e_4713)]),
    // [7.0, 8.0)
    (7.5, [f(0x3fef_fffe_b78a_3f8e), f(0x3eb4_877a_471c_d26a), f(0xbeb4_876a_3010_69f7), f(0x3eab_57a5_2efa_a4f6), f(0xbe9b_5a8c_e23e_b0bd), f(0x3e86_d3c4_7f67_adbb), f(0xbe6e_269f_42ee_ed2d)]),
    // [8.0, 10.0)
    (9.0, [f(0x3fef_ffff_eeb9_6ee6), f(0x3e8b_c18e_5102_a12b), f(0x3eb2_c1ea_89c7_d6d3), f(0x3ec3_eba2_1764_ab5d), f(0x3e6f_f621_58ee_c800), f(0xbeca_acd9_99fe_603b), f(0xbec0_9afb_0756_4c46)]),
];

/// float32 tanh, bit for bit as MKL's `vsTanh`.
#[inline]
pub fn tanh_f32(x: f32) -> f32 {
    let a = x.abs();
    let r = if a < SMALL_END {
        // Subnormals and zero included: Q(a) rounds a*Q(a) back to a there, as MKL does.
        let d = f64::from(a);
        let q = SMALL[5];
        let q = q * d + SMALL[4];
        let q = q * d + SMALL[3];
        let q = q * d + SMALL[2];
        let q = q * d + SMALL[1];
        let q = q * d + SMALL[0];
        d * q
    } else if a < ONE_FROM {
        let i = ((a.to_bits() >> 21) - (SMALL_END.to_bits() >> 21)) as usize;
        let (centre, c) = &PIECES[i];
        let t = f64::from(a) - centre;
        let p = c[6];
        let p = p * t + c[5];
        let p = p * t + c[4];
        let p = p * t + c[3];
        let p = p * t + c[2];
        let p = p * t + c[1];
        p * t + c[0]
    } else if a.is_nan() {
        return x;
    } else {
        1.0
    };
    (r as f32).copysign(x)
}

/// `Tensor::tanh`'s values: float64 by libm, anything else (ints cast) as float32 above.
pub(crate) fn tanh_storage(s: &Storage) -> Storage {
    match s {
        Storage::F64(a) => Storage::F64(a.mapv(f64::tanh)),
        Storage::F32(a) => Storage::F32(map(a)),
        other => match other.cast(DType::Float32) {
            Storage::F32(a) => Storage::F32(map(&a)),
            x => x,
        },
    }
}

fn map(a: &ArrayD<f32>) -> ArrayD<f32> {
    super::storage::map_row_major(a, super::tanh_avx2::tanh_slice)
}
