//! Unit tests of `plot::png`.

use lessonrun::plot::png::*;

#[test]
fn checksums_and_base64_are_the_standard_ones() {
    assert_eq!(crc32(b"IEND"), 0xae42_6082);
    assert_eq!(base64(b"Man"), "TWFu");
    assert_eq!(base64(b"Ma"), "TWE=");
    assert_eq!(base64(b"M"), "TQ==");
    let png = encode(1, 1, &[[255, 0, 0, 255]]);
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.ends_with(&[0xae, 0x42, 0x60, 0x82]));
}

/// The IDAT chunk inflates to the filtered rows, and a flat image compresses.
#[test]
fn image_data_round_trips_and_compresses() {
    let (w, h) = (300, 200);
    let px: Vec<[u8; 4]> = (0..w * h).map(|i| if i % 7 == 0 { [1, 2, 3, 255] } else { [230, 230, 230, 255] }).collect();
    let png = encode(w, h, &px);
    let len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
    assert_eq!(&png[37..41], b"IDAT");
    let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&png[41..41 + len]).expect("valid zlib");
    assert_eq!(raw.len(), h * (w * 4 + 1));
    assert_eq!(&raw[..9], &[0, 1, 2, 3, 255, 230, 230, 230, 255]);
    assert!(png.len() < raw.len() / 10, "{} bytes", png.len());
}
