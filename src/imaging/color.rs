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

/// sRGB bytes to (hue degrees, saturation 0–1, lightness 0–1).
pub fn to_hsl(c: [u8; 3]) -> (f32, f32, f32) {
    let [r, g, b] = c.map(|v| v as f32 / 255.0);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let l = (max + min) / 2.0;
    if max - min < 1e-6 {
        return (0.0, 0.0, l);
    }
    let d = max - min;
    let s = if l > 0.5 { d / (2.0 - max - min) } else { d / (max + min) };
    let h = if max == r {
        (g - b) / d + if g < b { 6.0 } else { 0.0 }
    } else if max == g {
        (b - r) / d + 2.0
    } else {
        (r - g) / d + 4.0
    };
    (h * 60.0, s, l)
}

pub fn from_hsl(h: f32, s: f32, l: f32) -> [u8; 3] {
    let h = h.rem_euclid(360.0) / 360.0;
    let (s, l) = (s.clamp(0.0, 1.0), l.clamp(0.0, 1.0));
    if s < 1e-6 {
        let v = (l * 255.0).round() as u8;
        return [v, v, v];
    }
    let q = if l < 0.5 { l * (1.0 + s) } else { l + s - l * s };
    let p = 2.0 * l - q;
    let f = |t: f32| {
        let t = t.rem_euclid(1.0);
        let v = if t < 1.0 / 6.0 {
            p + (q - p) * 6.0 * t
        } else if t < 0.5 {
            q
        } else if t < 2.0 / 3.0 {
            p + (q - p) * (2.0 / 3.0 - t) * 6.0
        } else {
            p
        };
        (v * 255.0).round().clamp(0.0, 255.0) as u8
    };
    [f(h + 1.0 / 3.0), f(h), f(h - 1.0 / 3.0)]
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
}
