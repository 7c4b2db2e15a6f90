//! Colours as people write them (`#FF5A36`) and as the checks measure them (CIELAB).

/// Parse `#RRGGBB` or `#RGB` (the `#` is optional) into sRGB bytes.
pub fn parse_hex(s: &str) -> Option<[u8; 3]> {
    let h = s.trim().strip_prefix('#').unwrap_or(s.trim());
    let byte = |i: usize| u8::from_str_radix(h.get(i..i + 2)?, 16).ok();
    match h.len() {
        6 if h.chars().all(|c| c.is_ascii_hexdigit()) => Some([byte(0)?, byte(2)?, byte(4)?]),
        3 if h.chars().all(|c| c.is_ascii_hexdigit()) => {
            let v: Vec<u8> = h.chars().filter_map(|c| c.to_digit(16)).map(|d| (d * 17) as u8).collect();
            Some([v[0], v[1], v[2]])
        }
        _ => None,
    }
}

/// `#RRGGBB` in upper case.
pub fn to_hex(c: [u8; 3]) -> String {
    format!("#{:02X}{:02X}{:02X}", c[0], c[1], c[2])
}

/// Linear mix of two sRGB colours (t = 0 gives `a`).
pub fn mix(a: [u8; 3], b: [u8; 3], t: f32) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0);
    [0, 1, 2].map(|i| (a[i] as f32 + (b[i] as f32 - a[i] as f32) * t).round().clamp(0.0, 255.0) as u8)
}

/// Lighter (amount > 0) or darker (amount < 0) by mixing with white or black.
pub fn shade(c: [u8; 3], amount: f32) -> [u8; 3] {
    if amount >= 0.0 { mix(c, [255, 255, 255], amount) } else { mix(c, [0, 0, 0], -amount) }
}

/// sRGB bytes to (hue degrees 0–360, saturation 0–1, lightness 0–1), by the
/// `palette` crate (grey has hue 0).
pub fn to_hsl(c: [u8; 3]) -> (f32, f32, f32) {
    use palette::{Hsl, IntoColor, Srgb};
    let hsl: Hsl = Srgb::new(c[0], c[1], c[2]).into_format::<f32>().into_color();
    (hsl.hue.into_positive_degrees(), hsl.saturation, hsl.lightness)
}

/// (hue degrees, any turn; saturation and lightness clamped to 0–1) to sRGB
/// bytes, by the `palette` crate.
pub fn from_hsl(h: f32, s: f32, l: f32) -> [u8; 3] {
    use palette::{Hsl, IntoColor, Srgb};
    let rgb: Srgb = Hsl::new(h.rem_euclid(360.0), s.clamp(0.0, 1.0), l.clamp(0.0, 1.0)).into_color();
    let rgb = rgb.into_format::<u8>();
    [rgb.red, rgb.green, rgb.blue]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        assert_eq!(parse_hex("#FF5A36"), Some([255, 90, 54]));
        assert_eq!(parse_hex("ff5a36"), Some([255, 90, 54]));
        assert_eq!(parse_hex("#fa3"), Some([255, 170, 51]));
        assert_eq!(parse_hex("#GG0000"), None);
        assert_eq!(parse_hex("#FF5A3"), None);
        assert_eq!(to_hex([255, 90, 54]), "#FF5A36");
    }

    #[test]
    fn hsl_round_trips_every_sampled_colour() {
        assert_eq!(to_hsl([255, 0, 0]), (0.0, 1.0, 0.5));
        let (h, s, l) = to_hsl([0, 0, 255]);
        assert!((h - 240.0).abs() < 1e-3 && (s - 1.0).abs() < 1e-6 && (l - 0.5).abs() < 1e-6);
        assert_eq!(to_hsl([128, 128, 128]).1, 0.0);
        assert_eq!(from_hsl(-120.0, 1.0, 0.5), [0, 0, 255]);
        for r in (0..=255).step_by(5) {
            for g in (0..=255).step_by(15) {
                for b in (0..=255).step_by(17) {
                    let (h, s, l) = to_hsl([r, g, b]);
                    assert_eq!(from_hsl(h, s, l), [r, g, b], "{h} {s} {l}");
                }
            }
        }
    }
}
