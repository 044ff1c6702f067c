//! Colours as matplotlib names them (`'r'`, `'C1'`, `'tab:blue'`, CSS names, `'#rrggbb'`, grey
//! levels as strings, RGB(A) tuples), the default colour cycle, and colormaps.
//!
//! The tables at the end were sampled from matplotlib 3.11 (`matplotlib.colors`,
//! `matplotlib.colormaps`); colormaps are kept at 33 points and interpolated linearly between.

/// A colour with components in 0..=1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rgba {
    pub r: f64,
    pub g: f64,
    pub b: f64,
    pub a: f64,
}

impl Rgba {
    pub const BLACK: Rgba = Rgba { r: 0.0, g: 0.0, b: 0.0, a: 1.0 };
    pub const WHITE: Rgba = Rgba { r: 1.0, g: 1.0, b: 1.0, a: 1.0 };

    pub fn from_hex(rgb: u32) -> Rgba {
        let c = |s: u32| f64::from((rgb >> s) & 0xff) / 255.0;
        Rgba { r: c(16), g: c(8), b: c(0), a: 1.0 }
    }

    pub fn with_alpha(self, a: f64) -> Rgba {
        Rgba { a, ..self }
    }

    /// `#rrggbb` (opacity goes in a separate SVG attribute).
    pub fn hex(&self) -> String {
        let c = |v: f64| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        format!("#{:02x}{:02x}{:02x}", c(self.r), c(self.g), c(self.b))
    }

    pub fn bytes(&self) -> [u8; 4] {
        let c = |v: f64| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        [c(self.r), c(self.g), c(self.b), c(self.a)]
    }
}

/// matplotlib's default property cycle (`axes.prop_cycle`): the Tableau 10 colours.
pub const CYCLE: [u32; 10] =
    [0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf];

/// The `n`th colour of the default cycle.
pub fn cycle(n: usize) -> Rgba {
    Rgba::from_hex(CYCLE[n % CYCLE.len()])
}

/// The one-letter colours of format strings and `color=`.
pub fn base_color(c: char) -> Option<Rgba> {
    let rgb = match c {
        'b' => 0x0000ff,
        'g' => 0x008000,
        'r' => 0xff0000,
        'c' => 0x00bfbf,
        'm' => 0xbf00bf,
        'y' => 0xbfbf00,
        'k' => 0x000000,
        'w' => 0xffffff,
        _ => return None,
    };
    Some(Rgba::from_hex(rgb))
}

/// A colour named by a string, as `matplotlib.colors.to_rgba` reads it; None if it is not one.
pub fn parse(spec: &str) -> Option<Rgba> {
    let s = spec.trim();
    if let Some(hex) = s.strip_prefix('#') {
        return parse_hex(hex);
    }
    let mut chars = s.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return base_color(c);
    }
    if let Some(n) = s.strip_prefix('C').and_then(|d| d.parse::<usize>().ok()) {
        return Some(cycle(n));
    }
    let lower = s.to_ascii_lowercase();
    if let Some(name) = lower.strip_prefix("xkcd:") {
        return lookup(CSS4, name);
    }
    if let Some(v) = lookup(TABLEAU, &lower).or_else(|| lookup(CSS4, &lower)) {
        return Some(v);
    }
    // A string holding a number between 0 and 1 is a grey level.
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Some(Rgba { r: v, g: v, b: v, a: 1.0 }),
        _ => None,
    }
}

fn lookup(table: &[(&str, u32)], name: &str) -> Option<Rgba> {
    table.iter().find(|(n, _)| *n == name).map(|&(_, v)| Rgba::from_hex(v))
}

fn parse_hex(hex: &str) -> Option<Rgba> {
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let digit = |i: usize, n: usize| u32::from_str_radix(&hex[i..i + n], 16).ok();
    let (parts, scale) = match hex.len() {
        3 | 4 => ((0..hex.len()).map(|i| digit(i, 1)).collect::<Option<Vec<_>>>()?, 15.0),
        6 | 8 => ((0..hex.len() / 2).map(|i| digit(2 * i, 2)).collect::<Option<Vec<_>>>()?, 255.0),
        _ => return None,
    };
    let f = |i: usize| f64::from(parts[i]) / scale;
    Some(Rgba { r: f(0), g: f(1), b: f(2), a: if parts.len() == 4 { f(3) } else { 1.0 } })
}

/// A colormap by matplotlib's name (a `_r` suffix reverses it); None if unknown.
pub fn colormap(name: &str) -> Option<Colormap> {
    let (base, reversed) = match name.strip_suffix("_r") {
        Some(b) => (b, true),
        None => (name, false),
    };
    let base = if base == "grey" { "gray" } else { base };
    COLORMAPS.iter().find(|(n, _)| *n == base).map(|(_, pts)| Colormap { points: pts, reversed })
}

/// A colormap: maps 0..=1 to a colour.
#[derive(Clone, Copy, Debug)]
pub struct Colormap {
    points: &'static [u32; 33],
    reversed: bool,
}

impl Colormap {
    pub fn at(&self, t: f64) -> Rgba {
        if t.is_nan() {
            return Rgba { r: 0.0, g: 0.0, b: 0.0, a: 0.0 };
        }
        let t = t.clamp(0.0, 1.0);
        let t = if self.reversed { 1.0 - t } else { t };
        let x = t * 32.0;
        let i = (x.floor() as usize).min(31);
        let f = x - i as f64;
        let (a, b) = (Rgba::from_hex(self.points[i]), Rgba::from_hex(self.points[i + 1]));
        let mix = |p: f64, q: f64| p + (q - p) * f;
        Rgba { r: mix(a.r, b.r), g: mix(a.g, b.g), b: mix(a.b, b.b), a: 1.0 }
    }
}

/// The names `colormap` knows, for error messages.
pub fn colormap_names() -> Vec<&'static str> {
    COLORMAPS.iter().map(|(n, _)| *n).collect()
}

/// matplotlib's CSS4 colour names (matplotlib.colors.CSS4_COLORS).
const CSS4: &[(&str, u32)] = &[
    ("aliceblue", 0xf0f8ff),
    ("antiquewhite", 0xfaebd7),
    ("aqua", 0x00ffff),
    ("aquamarine", 0x7fffd4),
    ("azure", 0xf0ffff),
    ("beige", 0xf5f5dc),
    ("bisque", 0xffe4c4),
    ("black", 0x000000),
    ("blanchedalmond", 0xffebcd),
    ("blue", 0x0000ff),
    ("blueviolet", 0x8a2be2),
    ("brown", 0xa52a2a),
    ("burlywood", 0xdeb887),
    ("cadetblue", 0x5f9ea0),
    ("chartreuse", 0x7fff00),
    ("chocolate", 0xd2691e),
    ("coral", 0xff7f50),
    ("cornflowerblue", 0x6495ed),
    ("cornsilk", 0xfff8dc),
    ("crimson", 0xdc143c),
    ("cyan", 0x00ffff),
    ("darkblue", 0x00008b),
    ("darkcyan", 0x008b8b),
    ("darkgoldenrod", 0xb8860b),
    ("darkgray", 0xa9a9a9),
    ("darkgreen", 0x006400),
    ("darkgrey", 0xa9a9a9),
    ("darkkhaki", 0xbdb76b),
    ("darkmagenta", 0x8b008b),
    ("darkolivegreen", 0x556b2f),
    ("darkorange", 0xff8c00),
    ("darkorchid", 0x9932cc),
    ("darkred", 0x8b0000),
    ("darksalmon", 0xe9967a),
    ("darkseagreen", 0x8fbc8f),
    ("darkslateblue", 0x483d8b),
    ("darkslategray", 0x2f4f4f),
    ("darkslategrey", 0x2f4f4f),
    ("darkturquoise", 0x00ced1),
    ("darkviolet", 0x9400d3),
    ("deeppink", 0xff1493),
    ("deepskyblue", 0x00bfff),
    ("dimgray", 0x696969),
    ("dimgrey", 0x696969),
    ("dodgerblue", 0x1e90ff),
    ("firebrick", 0xb22222),
    ("floralwhite", 0xfffaf0),
    ("forestgreen", 0x228b22),
    ("fuchsia", 0xff00ff),
    ("gainsboro", 0xdcdcdc),
    ("ghostwhite", 0xf8f8ff),
    ("gold", 0xffd700),
    ("goldenrod", 0xdaa520),
    ("gray", 0x808080),
    ("green", 0x008000),
    ("greenyellow", 0xadff2f),
    ("grey", 0x808080),
    ("honeydew", 0xf0fff0),
    ("hotpink", 0xff69b4),
    ("indianred", 0xcd5c5c),
    ("indigo", 0x4b0082),
    ("ivory", 0xfffff0),
    ("khaki", 0xf0e68c),
    ("lavender", 0xe6e6fa),
    ("lavenderblush", 0xfff0f5),
    ("lawngreen", 0x7cfc00),
    ("lemonchiffon", 0xfffacd),
    ("lightblue", 0xadd8e6),
    ("lightcoral", 0xf08080),
    ("lightcyan", 0xe0ffff),
    ("lightgoldenrodyellow", 0xfafad2),
    ("lightgray", 0xd3d3d3),
    ("lightgreen", 0x90ee90),
    ("lightgrey", 0xd3d3d3),
    ("lightpink", 0xffb6c1),
    ("lightsalmon", 0xffa07a),
    ("lightseagreen", 0x20b2aa),
    ("lightskyblue", 0x87cefa),
    ("lightslategray", 0x778899),
    ("lightslategrey", 0x778899),
    ("lightsteelblue", 0xb0c4de),
    ("lightyellow", 0xffffe0),
    ("lime", 0x00ff00),
    ("limegreen", 0x32cd32),
    ("linen", 0xfaf0e6),
    ("magenta", 0xff00ff),
    ("maroon", 0x800000),
    ("mediumaquamarine", 0x66cdaa),
    ("mediumblue", 0x0000cd),
    ("mediumorchid", 0xba55d3),
    ("mediumpurple", 0x9370db),
    ("mediumseagreen", 0x3cb371),
    ("mediumslateblue", 0x7b68ee),
    ("mediumspringgreen", 0x00fa9a),
    ("mediumturquoise", 0x48d1cc),
    ("mediumvioletred", 0xc71585),
    ("midnightblue", 0x191970),
    ("mintcream", 0xf5fffa),
    ("mistyrose", 0xffe4e1),
    ("moccasin", 0xffe4b5),
    ("navajowhite", 0xffdead),
    ("navy", 0x000080),
    ("oldlace", 0xfdf5e6),
    ("olive", 0x808000),
    ("olivedrab", 0x6b8e23),
    ("orange", 0xffa500),
    ("orangered", 0xff4500),
    ("orchid", 0xda70d6),
    ("palegoldenrod", 0xeee8aa),
    ("palegreen", 0x98fb98),
    ("paleturquoise", 0xafeeee),
    ("palevioletred", 0xdb7093),
    ("papayawhip", 0xffefd5),
    ("peachpuff", 0xffdab9),
    ("peru", 0xcd853f),
    ("pink", 0xffc0cb),
    ("plum", 0xdda0dd),
    ("powderblue", 0xb0e0e6),
    ("purple", 0x800080),
    ("rebeccapurple", 0x663399),
    ("red", 0xff0000),
    ("rosybrown", 0xbc8f8f),
    ("royalblue", 0x4169e1),
    ("saddlebrown", 0x8b4513),
    ("salmon", 0xfa8072),
    ("sandybrown", 0xf4a460),
    ("seagreen", 0x2e8b57),
    ("seashell", 0xfff5ee),
    ("sienna", 0xa0522d),
    ("silver", 0xc0c0c0),
    ("skyblue", 0x87ceeb),
    ("slateblue", 0x6a5acd),
    ("slategray", 0x708090),
    ("slategrey", 0x708090),
    ("snow", 0xfffafa),
    ("springgreen", 0x00ff7f),
    ("steelblue", 0x4682b4),
    ("tan", 0xd2b48c),
    ("teal", 0x008080),
    ("thistle", 0xd8bfd8),
    ("tomato", 0xff6347),
    ("turquoise", 0x40e0d0),
    ("violet", 0xee82ee),
    ("wheat", 0xf5deb3),
    ("white", 0xffffff),
    ("whitesmoke", 0xf5f5f5),
    ("yellow", 0xffff00),
    ("yellowgreen", 0x9acd32),
];
/// matplotlib's Tableau colours (`tab:blue`...), the default colour cycle's names.
const TABLEAU: &[(&str, u32)] = &[
    ("tab:blue", 0x1f77b4),
    ("tab:orange", 0xff7f0e),
    ("tab:green", 0x2ca02c),
    ("tab:red", 0xd62728),
    ("tab:purple", 0x9467bd),
    ("tab:brown", 0x8c564b),
    ("tab:pink", 0xe377c2),
    ("tab:gray", 0x7f7f7f),
    ("tab:olive", 0xbcbd22),
    ("tab:cyan", 0x17becf),
];
/// Colormaps sampled at 33 evenly spaced points from matplotlib (linear interpolation between).
const COLORMAPS: &[(&str, [u32; 33])] = &[
    (
        "viridis",
        [
            0x440154, 0x470d60, 0x48186a, 0x482374, 0x472d7b, 0x453781, 0x424086, 0x3e4989, 0x3b528b, 0x375b8d,
            0x33638d, 0x2f6b8e, 0x2c728e, 0x297a8e, 0x26828e, 0x23898e, 0x21918c, 0x1f988b, 0x1fa088, 0x22a785,
            0x28ae80, 0x32b67a, 0x3fbc73, 0x4ec36b, 0x5ec962, 0x70cf57, 0x84d44b, 0x98d83e, 0xaddc30, 0xc2df23,
            0xd8e219, 0xece51b, 0xfde725,
        ],
    ),
    (
        "plasma",
        [
            0x0d0887, 0x220690, 0x310597, 0x3f049c, 0x4c02a1, 0x5901a5, 0x6600a7, 0x7201a8, 0x7e03a8, 0x8a09a5,
            0x9511a1, 0xa01a9c, 0xaa2395, 0xb32c8e, 0xbc3587, 0xc43e7f, 0xcc4778, 0xd35171, 0xda5a6a, 0xe06363,
            0xe66c5c, 0xeb7655, 0xf0804e, 0xf58b47, 0xf89540, 0xfba139, 0xfdac33, 0xfeb82c, 0xfdc527, 0xfcd225,
            0xf8df25, 0xf4ed27, 0xf0f921,
        ],
    ),
    (
        "inferno",
        [
            0x000004, 0x040312, 0x0b0724, 0x150b37, 0x210c4a, 0x2f0a5b, 0x3d0965, 0x4a0c6b, 0x57106e, 0x64156e,
            0x71196e, 0x7d1e6d, 0x8a226a, 0x972766, 0xa32c61, 0xb0315b, 0xbc3754, 0xc73e4c, 0xd24644, 0xdb503b,
            0xe45a31, 0xeb6628, 0xf1731d, 0xf68013, 0xf98e09, 0xfb9d07, 0xfcac11, 0xfbbc21, 0xf9cb35, 0xf5db4c,
            0xf2ea69, 0xf3f68a, 0xfcffa4,
        ],
    ),
    (
        "magma",
        [
            0x000004, 0x030312, 0x0a0822, 0x130d34, 0x1d1147, 0x29115a, 0x36106b, 0x440f76, 0x51127c, 0x5d177f,
            0x6a1c81, 0x762181, 0x832681, 0x902a81, 0x9c2e7f, 0xaa337d, 0xb73779, 0xc43c75, 0xd0416f, 0xdc4869,
            0xe75263, 0xef5d5e, 0xf56b5c, 0xf9795d, 0xfc8961, 0xfd9869, 0xfea772, 0xfeb67c, 0xfec488, 0xfed395,
            0xfde2a3, 0xfcf0b2, 0xfcfdbf,
        ],
    ),
    (
        "cividis",
        [
            0x00224e, 0x00285b, 0x002e6a, 0x053371, 0x1a386f, 0x273e6e, 0x32436d, 0x3b496c, 0x434e6c, 0x4b546c,
            0x535a6d, 0x5a5f6e, 0x61656f, 0x686a71, 0x6f7073, 0x767676, 0x7d7c78, 0x848279, 0x8c8878, 0x938e78,
            0x9b9476, 0xa39a74, 0xaba072, 0xb4a76f, 0xbcae6c, 0xc4b468, 0xcdbb63, 0xd5c25e, 0xdec958, 0xe7d150,
            0xf0d846, 0xf9e03a, 0xfee838,
        ],
    ),
    (
        "gray",
        [
            0x000000, 0x080808, 0x101010, 0x181818, 0x202020, 0x282828, 0x303030, 0x383838, 0x404040, 0x484848,
            0x505050, 0x585858, 0x606060, 0x686868, 0x707070, 0x787878, 0x808080, 0x888888, 0x909090, 0x989898,
            0xa0a0a0, 0xa8a8a8, 0xb0b0b0, 0xb8b8b8, 0xc0c0c0, 0xc8c8c8, 0xd0d0d0, 0xd8d8d8, 0xe0e0e0, 0xe8e8e8,
            0xf0f0f0, 0xf8f8f8, 0xffffff,
        ],
    ),
    (
        "Greys",
        [
            0xffffff, 0xfbfbfb, 0xf7f7f7, 0xf4f4f4, 0xf0f0f0, 0xeaeaea, 0xe4e4e4, 0xdfdfdf, 0xd9d9d9, 0xd2d2d2,
            0xcbcbcb, 0xc4c4c4, 0xbdbdbd, 0xb3b3b3, 0xa9a9a9, 0x9f9f9f, 0x959595, 0x8d8d8d, 0x848484, 0x7b7b7b,
            0x727272, 0x6a6a6a, 0x626262, 0x5a5a5a, 0x515151, 0x464646, 0x3a3a3a, 0x2f2f2f, 0x242424, 0x1b1b1b,
            0x111111, 0x080808, 0x000000,
        ],
    ),
    (
        "binary",
        [
            0xffffff, 0xf7f7f7, 0xefefef, 0xe7e7e7, 0xdfdfdf, 0xd7d7d7, 0xcfcfcf, 0xc7c7c7, 0xbfbfbf, 0xb7b7b7,
            0xafafaf, 0xa7a7a7, 0x9f9f9f, 0x979797, 0x8f8f8f, 0x878787, 0x7f7f7f, 0x777777, 0x6f6f6f, 0x676767,
            0x5f5f5f, 0x575757, 0x4f4f4f, 0x474747, 0x3f3f3f, 0x373737, 0x2f2f2f, 0x272727, 0x1f1f1f, 0x171717,
            0x0f0f0f, 0x070707, 0x000000,
        ],
    ),
    (
        "Reds",
        [
            0xfff5f0, 0xfff0e8, 0xfeeae1, 0xfee5d9, 0xfee0d2, 0xfdd7c6, 0xfdcdb9, 0xfcc4ad, 0xfcbba1, 0xfcb095,
            0xfca689, 0xfc9c7d, 0xfc9272, 0xfc8767, 0xfb7d5d, 0xfb7353, 0xfb694a, 0xf85d42, 0xf5523a, 0xf24633,
            0xee3a2c, 0xe53228, 0xdc2924, 0xd32020, 0xca181d, 0xc1161b, 0xb71319, 0xad1117, 0xa30f15, 0x940b13,
            0x840711, 0x75030f, 0x67000d,
        ],
    ),
    (
        "Blues",
        [
            0xf7fbff, 0xf1f7fd, 0xeaf3fb, 0xe4eff9, 0xdeebf7, 0xd8e7f5, 0xd2e3f3, 0xccdff1, 0xc6dbef, 0xbcd7eb,
            0xb2d2e8, 0xa8cee4, 0x9dcae1, 0x91c3de, 0x84bcdb, 0x77b5d9, 0x6aaed6, 0x60a7d2, 0x56a0ce, 0x4b98ca,
            0x4191c6, 0x3989c1, 0x3181bd, 0x2979b9, 0x2070b4, 0x1a68ae, 0x1460a8, 0x0e58a2, 0x08509b, 0x08488e,
            0x084082, 0x083776, 0x08306b,
        ],
    ),
    (
        "Greens",
        [
            0xf7fcf5, 0xf2faf0, 0xeef8ea, 0xe9f7e5, 0xe5f5e0, 0xddf2d8, 0xd6efd0, 0xceecc8, 0xc7e9c0, 0xbde5b6,
            0xb4e1ad, 0xaadda4, 0xa0d99b, 0x95d391, 0x8ace88, 0x7fc97f, 0x73c476, 0x66bd6f, 0x5ab769, 0x4db163,
            0x40aa5d, 0x39a257, 0x319a50, 0x2a924a, 0x228a44, 0x19833e, 0x117b38, 0x087432, 0x006c2c, 0x006227,
            0x005723, 0x004d1f, 0x00441b,
        ],
    ),
    (
        "Oranges",
        [
            0xfff5eb, 0xfff1e4, 0xfeeddc, 0xfeead5, 0xfee6ce, 0xfee0c3, 0xfddbb8, 0xfdd5ad, 0xfdd0a2, 0xfdc794,
            0xfdbf86, 0xfdb678, 0xfdae6a, 0xfda55f, 0xfd9d53, 0xfd9547, 0xfd8c3b, 0xfa8331, 0xf77a27, 0xf4711c,
            0xf16813, 0xeb600e, 0xe4580a, 0xde5005, 0xd84801, 0xcb4302, 0xbe3f02, 0xb13a03, 0xa53603, 0x9b3203,
            0x912e04, 0x882a04, 0x7f2704,
        ],
    ),
    (
        "Purples",
        [
            0xfcfbfd, 0xf9f7fb, 0xf5f4f9, 0xf2f0f7, 0xefedf5, 0xeae8f2, 0xe4e3f0, 0xdfdfed, 0xdadaeb, 0xd2d2e7,
            0xcbcbe3, 0xc3c4e0, 0xbcbddc, 0xb4b4d7, 0xadabd2, 0xa5a2cd, 0x9e9ac8, 0x9692c4, 0x8e8bc1, 0x8784bd,
            0x807cba, 0x7a71b4, 0x7566ae, 0x6f5ba8, 0x6950a3, 0x64459e, 0x5e3b98, 0x593093, 0x53268f, 0x4e1c8a,
            0x491285, 0x440981, 0x3f007d,
        ],
    ),
    (
        "hot",
        [
            0x0b0000, 0x200000, 0x350000, 0x4a0000, 0x5f0000, 0x740000, 0x890000, 0x9e0000, 0xb30000, 0xc80000,
            0xdd0000, 0xf20000, 0xff0800, 0xff1d00, 0xff3200, 0xff4700, 0xff5c00, 0xff7100, 0xff8600, 0xff9b00,
            0xffb000, 0xffc500, 0xffda00, 0xffef00, 0xffff07, 0xffff26, 0xffff46, 0xffff65, 0xffff85, 0xffffa4,
            0xffffc4, 0xffffe3, 0xffffff,
        ],
    ),
    (
        "coolwarm",
        [
            0x3b4cc0, 0x445acc, 0x4e68d8, 0x5875e1, 0x6282ea, 0x6c8ff1, 0x779af7, 0x82a6fb, 0x8db0fe, 0x98b9ff,
            0xa3c2fe, 0xaec9fc, 0xb9d0f9, 0xc3d5f4, 0xccd9ed, 0xd5dbe5, 0xdddcdc, 0xe5d8d1, 0xecd3c5, 0xf1ccb8,
            0xf5c4ac, 0xf7ba9f, 0xf7b093, 0xf6a586, 0xf4987a, 0xf08b6e, 0xeb7d62, 0xe46e56, 0xdd5f4b, 0xd44e41,
            0xca3b37, 0xbe242e, 0xb40426,
        ],
    ),
    (
        "jet",
        [
            0x000080, 0x0000a4, 0x0000c8, 0x0000ed, 0x0000ff, 0x0020ff, 0x0040ff, 0x0060ff, 0x0080ff, 0x00a0ff,
            0x00c0ff, 0x00e0fb, 0x16ffe1, 0x30ffc7, 0x49ffad, 0x63ff94, 0x7dff7a, 0x97ff60, 0xb1ff46, 0xcaff2c,
            0xe4ff13, 0xfeed00, 0xffd000, 0xffb200, 0xff9400, 0xff7700, 0xff5900, 0xff3b00, 0xff1e00, 0xe80000,
            0xc40000, 0x9f0000, 0x800000,
        ],
    ),
    (
        "RdBu",
        [
            0x67001f, 0x7f0823, 0x960f27, 0xae172a, 0xbb2a34, 0xc6413e, 0xd25849, 0xdc6e57, 0xe58368, 0xef9979,
            0xf5ac8b, 0xf8bda1, 0xfbceb7, 0xfdddcb, 0xfbe6da, 0xf9efe9, 0xf6f7f7, 0xeaf1f5, 0xdeebf2, 0xd2e6f0,
            0xc0dceb, 0xacd2e5, 0x98c8e0, 0x81bad8, 0x68abd0, 0x4f9bc7, 0x3e8cbf, 0x337eb8, 0x2870b1, 0x1e61a5,
            0x15508d, 0x0d3f76, 0x053061,
        ],
    ),
    (
        "bone",
        [
            0x000000, 0x07070a, 0x0e0e13, 0x15151d, 0x1c1c27, 0x232331, 0x2a2a3a, 0x313144, 0x38384e, 0x3f3f58,
            0x464661, 0x4d4d6b, 0x545574, 0x5b5f7b, 0x626882, 0x697289, 0x707b90, 0x778597, 0x7e8f9e, 0x8598a5,
            0x8ca2ac, 0x93acb3, 0x9ab5ba, 0xa1bfc1, 0xa9c8c8, 0xb4cfcf, 0xbfd6d6, 0xcadddd, 0xd5e4e4, 0xe0ebeb,
            0xeaf2f2, 0xf5f9f9, 0xffffff,
        ],
    ),
    (
        "YlGnBu",
        [
            0xffffd9, 0xfafdcf, 0xf6fbc5, 0xf1fabb, 0xedf8b1, 0xe3f4b2, 0xdaf0b3, 0xd0edb3, 0xc6e9b4, 0xb4e2b6,
            0xa2dbb8, 0x90d4b9, 0x7ecdbb, 0x6fc7bd, 0x5fc1c0, 0x50bbc2, 0x40b5c4, 0x37acc3, 0x2ea3c2, 0x259ac1,
            0x1d90c0, 0x1e83ba, 0x2076b3, 0x216aad, 0x225da8, 0x2352a3, 0x24489d, 0x243d98, 0x243392, 0x1d2e83,
            0x162874, 0x0e2265, 0x081d58,
        ],
    ),
    (
        "Spectral",
        [
            0x9e0142, 0xaf1446, 0xc1274a, 0xd23a4e, 0xdd4a4c, 0xe75948, 0xf06744, 0xf67a49, 0xf98e52, 0xfba35c,
            0xfdb567, 0xfdc574, 0xfed481, 0xfee28f, 0xfeec9f, 0xfff6b0, 0xffffbe, 0xf7fcb2, 0xeff9a6, 0xe7f59a,
            0xd6ee9b, 0xc3e79f, 0xb1dfa3, 0x9cd7a4, 0x86cfa5, 0x71c6a5, 0x5eb9a9, 0x4ea7b0, 0x3d95b8, 0x3682ba,
            0x4471b2, 0x525fa9, 0x5e4fa2,
        ],
    ),
];
