//! How numbers are shown to people, the same in the CLI and the studio
//! (times: `Timestamp::local`).

/// A measured value for people: whole numbers plain, small ones to two places.
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e9 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}
