//! The built-in renderer wrapped as a simulated paid service.

use std::time::Instant;

use genpath::backend::builtin::{Builtin, ServiceProfile};
use genpath::backend::{Backend, BackendError, Cancel, Inputs, Request};
use genpath::config::Config;
use genpath::recipe::{Limits, Recipe};

fn request(seed: i64) -> Request {
    let r = Recipe::parse(
        "r.toml",
        &format!("prompt = \"a mug\"\nseed = {seed}\nwidth = 256\nheight = 256\n"),
        Limits::default(),
    )
    .unwrap()
    .resolve()
    .remove(0);
    Request { recipe: r, inputs: Inputs::default() }
}

#[test]
fn configured_service_charges_delays_limits_and_fails_deterministically() {
    let config = Config::parse(
        "genpath.toml",
        "[backends.paid]\nkind = \"builtin\"\nservice = { latency_ms = 50, price_per_image = 0.04, rate_limit_per_minute = 10, failure_rate = 0.3, fault_seed = 7 }\n",
    )
    .unwrap();
    let backend = genpath::backend::from_config("paid", &config).unwrap();
    assert_eq!(backend.describe().price_per_image, Some(0.04));
    let mut outcomes = Vec::new();
    for i in 0..13 {
        let t = Instant::now();
        let r = backend.generate(&request(i), &Cancel::default());
        outcomes.push(match r {
            Ok(g) => {
                assert!(t.elapsed().as_millis() >= 50, "latency is simulated");
                assert_eq!(g.cost, 0.04);
                "ok".to_string()
            }
            Err(BackendError::Transient { message, retry_after }) => {
                if message.starts_with("429") {
                    assert!(retry_after.unwrap() > std::time::Duration::ZERO);
                }
                message[..3].to_string()
            }
            Err(e) => panic!("unexpected error {e}"),
        });
    }
    // Ten calls fit the rate limit; the rest get 429 with Retry-After.
    assert_eq!(outcomes[10..], ["429", "429", "429"]);
    assert!(outcomes[..10].iter().any(|o| o == "500"), "30% transient failures expected: {outcomes:?}");
    assert!(outcomes[..10].iter().any(|o| o == "ok"), "{outcomes:?}");
    // The same fault seed replays the same failures.
    let again = genpath::backend::from_config("paid", &config).unwrap();
    let replay: Vec<String> = (0..10)
        .map(|i| match again.generate(&request(i), &Cancel::default()) {
            Ok(_) => "ok".to_string(),
            Err(e) => e.to_string()[..3].to_string(),
        })
        .collect();
    assert_eq!(replay, outcomes[..10]);
}

#[test]
fn cancel_stops_a_slow_call() {
    let backend = Builtin { name: "slow".into(), service: Some(ServiceProfile::new(5_000, 0.0, 0, 0.0, 0)) };
    let cancel = Cancel::default();
    let c2 = cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        c2.cancel();
    });
    let t = Instant::now();
    assert!(matches!(backend.generate(&request(1), &cancel), Err(BackendError::Cancelled)));
    assert!(t.elapsed().as_secs() < 4, "cancel was not honoured");
}

#[test]
fn unknown_backend_names_are_explained() {
    let e = genpath::backend::from_config("studio", &Config::default()).err().unwrap().to_string();
    assert!(e.contains("no backend named 'studio'"), "{e}");
}
