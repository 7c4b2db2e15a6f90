//! A simulated hosted service around the renderer: latency, price per image,
//! a rate limit and transient failures, all deterministic from a fault seed —
//! the systems stage's stand-in for a paid API.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::rng;
use crate::backend::{BackendError, Progress, Request};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceProfile {
    /// Time each image takes, in milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
    /// Price of one image at up to 1024×1024; larger images cost proportionally more.
    #[serde(default)]
    pub price_per_image: f64,
    /// Requests allowed per window (0 = unlimited); beyond it, a 429 with Retry-After.
    #[serde(default)]
    pub rate_limit_per_minute: u32,
    /// The rate-limit window in milliseconds (default 60,000: a minute).
    #[serde(default = "default_window")]
    pub rate_window_ms: u64,
    /// Share of calls that fail with a transient 500 (0–1).
    #[serde(default)]
    pub failure_rate: f64,
    /// Seed of the failure sequence, so a run's failures can be replayed.
    #[serde(default)]
    pub fault_seed: u64,
    #[serde(skip)]
    state: Mutex<State>,
}

fn default_window() -> u64 {
    60_000
}

#[derive(Debug, Default)]
struct State {
    calls: u64,
    window: Vec<Instant>,
}

impl Clone for ServiceProfile {
    fn clone(&self) -> Self {
        ServiceProfile {
            latency_ms: self.latency_ms,
            price_per_image: self.price_per_image,
            rate_limit_per_minute: self.rate_limit_per_minute,
            rate_window_ms: self.rate_window_ms,
            failure_rate: self.failure_rate,
            fault_seed: self.fault_seed,
            state: Mutex::new(State::default()),
        }
    }
}

impl ServiceProfile {
    pub fn new(
        latency_ms: u64,
        price_per_image: f64,
        rate_limit_per_minute: u32,
        failure_rate: f64,
        fault_seed: u64,
    ) -> Self {
        ServiceProfile {
            latency_ms,
            price_per_image,
            rate_limit_per_minute,
            rate_window_ms: default_window(),
            failure_rate,
            fault_seed,
            state: Mutex::new(State::default()),
        }
    }

    /// The price of one image of this recipe: by area, times its model's cost.
    pub fn price(&self, recipe: &crate::recipe::Resolved) -> Result<f64, BackendError> {
        let model = super::model::Model::named(recipe.model.as_deref()).map_err(BackendError::Failed)?;
        Ok(crate::backend::price_by_area(self.price_per_image, recipe.width, recipe.height) * model.cost)
    }

    /// Behave like the service for one call; returns the charge on success.
    pub fn call(&self, request: &Request, progress: &dyn Progress) -> Result<f64, BackendError> {
        let call_no = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            if self.rate_limit_per_minute > 0 {
                let window = Duration::from_millis(self.rate_window_ms.max(1));
                s.window.retain(|t| now.duration_since(*t) < window);
                if s.window.len() >= self.rate_limit_per_minute as usize {
                    let oldest = s.window.first().copied().unwrap_or(now);
                    let wait = window.saturating_sub(now.duration_since(oldest));
                    return Err(BackendError::Transient {
                        message: "429 Too Many Requests".into(),
                        retry_after: Some(wait.max(Duration::from_millis(10))),
                    });
                }
                s.window.push(now);
            }
            s.calls += 1;
            s.calls
        };
        // A bigger model takes longer and costs more (FLUX-class versus SD 1.5-class).
        let model = super::model::Model::named(request.recipe.model.as_deref()).map_err(BackendError::Failed)?;
        // Sleep in small slices so a cancel is honoured promptly.
        let deadline = Instant::now() + Duration::from_millis((self.latency_ms as f64 * model.cost) as u64);
        while Instant::now() < deadline {
            if progress.cancelled() {
                return Err(BackendError::Cancelled);
            }
            std::thread::sleep(Duration::from_millis(10).min(deadline.saturating_duration_since(Instant::now())));
        }
        let roll = rng::hash(&[&self.fault_seed.to_le_bytes(), &call_no.to_le_bytes()]) as f64 / u64::MAX as f64;
        if roll < self.failure_rate {
            return Err(BackendError::Transient { message: "500 Internal Server Error".into(), retry_after: None });
        }
        self.price(&request.recipe)
    }
}
