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
