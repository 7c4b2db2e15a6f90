//! A bench record: what `genpath backend bench` measured on one backend —
//! how many images in how much wall time, each image's latency, and what an
//! image costs there — kept as JSON with the sha256 of its body beside it
//! (`{"bench": {…}, "sha256": "…"}`), so a record edited by hand is refused.
//!
//! Plain data and arithmetic: the measuring is in `commands/bench.rs`, where
//! the backends are; the self-hosting decision (`checks::documents`) reads a
//! record pasted into the answer and re-verifies everything a record can
//! prove about itself (its hash, its sums, its statistics). A record does
//! not prove it was measured rather than computed by someone who re-hashed
//! it — the same limit as feedback files.

use serde::{Deserialize, Serialize};

use crate::hash::sha256_hex;

/// The record's format version.
pub const FORMAT: u32 = 1;
/// Most images one bench makes: a bench is a sample, not a production run.
pub const MAX_IMAGES: u32 = 200;
/// Most requests in flight at once.
pub const MAX_CONCURRENCY: u32 = 16;
/// Largest side of a bench image.
pub const MAX_SIDE: u32 = 2048;
/// Hours in an average month (365.25 × 24 / 12).
pub const HOURS_PER_MONTH: f64 = 730.5;

/// A record changed after genpath wrote it.
pub const EDITED: &str = "the bench record was changed after genpath wrote it (its content does not match its sha256): paste the file `genpath backend bench` saved, unedited";

crate::named_enum! {
    /// How a bench knows what an image costs.
    pub enum Pricing ("pricing") {
        /// The backend charges per image (a hosted API, the practice service).
        PerImage = "per-image",
        /// A machine paid by the hour (`hourly_cost`): cost per image = hourly cost ÷ throughput.
        Hourly = "hourly",
        /// Neither is known (a self-hosted server without `hourly_cost`).
        Unknown = "unknown",
    }
}

/// One bench of one backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bench {
    pub format: u32,
    /// The backend's name in genpath.toml (`builtin`, `practice`, `studio` …).
    pub backend: String,
    /// What it is: `builtin`, `practice` (a simulated paid service), `a1111`, `comfyui`, `openai`.
    pub kind: String,
    pub model: Option<String>,
    pub width: u32,
    pub height: u32,
    pub steps: u32,
    pub concurrency: u32,
    pub images: u32,
    /// Calls that failed transiently and were asked again.
    pub retries: u32,
    /// Wall time from the first request to the last image, seconds.
    pub elapsed_s: f64,
    /// Each image's latency (its successful call), seconds, in the order they finished.
    pub latencies_s: Vec<f64>,
    pub p50_s: f64,
    pub p95_s: f64,
    /// images × 3600 ÷ elapsed.
    pub images_per_hour: f64,
    pub pricing: Pricing,
    /// What the backend charges per image (`per-image`).
    pub price_per_image: Option<f64>,
    /// What the machine costs an hour (`hourly`).
    pub hourly_cost: Option<f64>,
    /// price_per_image, or hourly_cost ÷ images_per_hour.
    pub cost_per_image: Option<f64>,
    /// cost_per_image × images.
    pub total_cost: Option<f64>,
    /// When it was measured (RFC 3339, UTC).
    pub measured_at: String,
}

/// What was asked of the backend, before any timing.
#[derive(Debug, Clone)]
pub struct Setup {
    pub backend: String,
    pub kind: String,
    pub model: Option<String>,
    pub width: u32,
    pub height: u32,
    pub steps: u32,
    pub concurrency: u32,
}

/// How an image is paid for, as the backend and config say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cost {
    PerImage(f64),
    Hourly(f64),
    Unknown,
}

/// Round to `places` decimals, so a record reads the same after a trip through JSON.
fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// The nearest-rank percentile `q` (0–1) of sorted values (the smallest
/// value with at least q of the values at or below it).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn sorted(v: &[f64]) -> Vec<f64> {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s
}

impl Bench {
    /// A record from what was timed: the statistics and costs follow from
    /// the latencies and the wall time, never from anything else.
    pub fn from_timings(setup: Setup, elapsed_s: f64, latencies_s: Vec<f64>, retries: u32, cost: Cost) -> Bench {
        let latencies_s: Vec<f64> = latencies_s.into_iter().map(|l| round(l, 6)).collect();
        // Never shorter than its longest image, whatever rounding did.
        let elapsed_s = round(elapsed_s, 6).max(latencies_s.iter().copied().fold(0.0, f64::max)).max(1e-6);
        let images = latencies_s.len() as u32;
        let s = sorted(&latencies_s);
        let images_per_hour = round(f64::from(images) * 3600.0 / elapsed_s, 3);
        let (pricing, price_per_image, hourly_cost, cost_per_image) = match cost {
            Cost::PerImage(p) => (Pricing::PerImage, Some(round(p, 9)), None, Some(round(p, 9))),
            Cost::Hourly(h) => {
                (Pricing::Hourly, None, Some(round(h, 9)), Some(round(h / images_per_hour.max(1e-9), 9)))
            }
            Cost::Unknown => (Pricing::Unknown, None, None, None),
        };
        Bench {
            format: FORMAT,
            backend: setup.backend,
            kind: setup.kind,
            model: setup.model,
            width: setup.width,
            height: setup.height,
            steps: setup.steps,
            concurrency: setup.concurrency,
            images,
            retries,
            elapsed_s,
            p50_s: percentile(&s, 0.5),
            p95_s: percentile(&s, 0.95),
            latencies_s,
            images_per_hour,
            pricing,
            price_per_image,
            hourly_cost,
            cost_per_image,
            total_cost: cost_per_image.map(|c| round(c * f64::from(images), 9)),
            measured_at: crate::time::Timestamp::now().to_string(),
        }
    }

    /// Everything a record must say consistently about itself: one latency
    /// per image, percentiles and throughput that follow from them, no
    /// image longer than the whole run, and costs that add up.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let near = |a: f64, b: f64, rel: f64| (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-9);
        if self.format != FORMAT {
            p.push(format!("bench format {} (this genpath reads {FORMAT})", self.format));
        }
        if self.images == 0 || self.latencies_s.len() != self.images as usize {
            p.push(format!("{} latencies for {} images", self.latencies_s.len(), self.images));
            return p;
        }
        if self.latencies_s.iter().any(|l| !l.is_finite() || *l < 0.0)
            || !self.elapsed_s.is_finite()
            || self.elapsed_s <= 0.0
        {
            p.push("a latency or the elapsed time is not a positive number".into());
            return p;
        }
        let s = sorted(&self.latencies_s);
        if self.p50_s != percentile(&s, 0.5) || self.p95_s != percentile(&s, 0.95) {
            p.push("p50/p95 do not follow from the latencies".into());
        }
        if s.last().is_some_and(|max| *max > self.elapsed_s + 1e-6) {
            p.push("an image took longer than the whole bench".into());
        }
        let sum: f64 = s.iter().sum();
        if sum > self.elapsed_s * f64::from(self.concurrency.max(1)) * 1.05 + 0.01 {
            p.push(format!(
                "{} images of {sum:.3} s in all cannot fit in {:.3} s with {} in flight",
                self.images, self.elapsed_s, self.concurrency
            ));
        }
        if !near(self.images_per_hour, f64::from(self.images) * 3600.0 / self.elapsed_s, 1e-4) {
            p.push("images_per_hour is not images × 3600 ÷ elapsed_s".into());
        }
        let expected = match self.pricing {
            Pricing::PerImage => self.price_per_image,
            Pricing::Hourly => self.hourly_cost.map(|h| h / self.images_per_hour.max(1e-9)),
            Pricing::Unknown => None,
        };
        match (expected, self.cost_per_image, self.total_cost) {
            (None, None, None) if self.pricing == Pricing::Unknown => {}
            // Costs are kept to 9 decimals: a tiny cost per image (a fast
            // machine's hourly share) is held to that rounding, not to a
            // relative error it cannot meet.
            (Some(e), Some(c), Some(t))
                if (near(e, c, 1e-4) || (e - c).abs() <= 1e-9)
                    && (near(t, c * f64::from(self.images), 1e-4)
                        || (t - c * f64::from(self.images)).abs() <= 1e-9 * f64::from(self.images.max(1))) => {}
            _ => p.push(format!("the cost per image does not follow from its {} pricing", self.pricing)),
        }
        p
    }

    /// Monthly GPU hours and cost of `volume` images at the measured throughput.
    pub fn hours_for(&self, volume: u64) -> f64 {
        volume as f64 / self.images_per_hour.max(1e-9)
    }

    /// The record as a file: `{"bench": {…}, "sha256": "…"}`, pretty-printed.
    pub fn to_json(&self) -> String {
        let signed = Signed { bench: self.clone(), sha256: hash_of(self) };
        serde_json::to_string_pretty(&signed).unwrap_or_default()
    }

    /// Read a record, refusing one whose hash does not match or whose numbers disagree.
    pub fn from_json(text: &str) -> Result<Bench, String> {
        let signed: Signed =
            serde_json::from_str(text).map_err(|e| format!("not a bench record `genpath backend bench` wrote: {e}"))?;
        if hash_of(&signed.bench) != signed.sha256 {
            return Err(EDITED.into());
        }
        let problems = signed.bench.problems();
        if !problems.is_empty() {
            return Err(format!("the bench record does not add up: {}", problems.join("; ")));
        }
        Ok(signed.bench)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Signed {
    bench: Bench,
    sha256: String,
}

fn hash_of(b: &Bench) -> String {
    sha256_hex(&serde_json::to_vec(b).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> Setup {
        Setup {
            backend: "builtin".into(),
            kind: "builtin".into(),
            model: None,
            width: 512,
            height: 512,
            steps: 20,
            concurrency: 1,
        }
    }

    #[test]
    fn statistics_follow_from_the_timings_and_survive_a_trip_through_json() {
        let b = Bench::from_timings(setup(), 2.0, vec![0.3, 0.1, 0.2, 0.9], 0, Cost::Hourly(0.9));
        assert_eq!((b.p50_s, b.p95_s), (0.2, 0.9));
        assert_eq!(b.images_per_hour, 7200.0);
        assert!((b.cost_per_image.unwrap() - 0.000125).abs() < 1e-12);
        assert!(b.problems().is_empty(), "{:?}", b.problems());
        assert_eq!(Bench::from_json(&b.to_json()).unwrap(), b);
    }

    #[test]
    fn an_edited_or_inconsistent_record_is_refused() {
        let b = Bench::from_timings(setup(), 1.0, vec![0.5, 0.5], 0, Cost::PerImage(0.04));
        let edited = b.to_json().replace("\"images_per_hour\": 7200.0", "\"images_per_hour\": 72000.0");
        assert_ne!(edited, b.to_json());
        assert_eq!(Bench::from_json(&edited).unwrap_err(), EDITED);
        let mut wrong = b.clone();
        wrong.images_per_hour = 72000.0;
        assert!(!wrong.problems().is_empty());
        let mut wrong = b;
        wrong.total_cost = Some(1.0);
        assert!(wrong.problems()[0].contains("cost per image"));
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 10.0);
        assert_eq!(percentile(&v, 0.95), 19.0);
        assert_eq!(percentile(&[3.0], 0.95), 3.0);
    }
}
