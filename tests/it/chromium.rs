//! The HTML report and the portfolio render in headless Chromium with no
//! console messages and no network requests made on the page's behalf.
//!
//! Chromium's own background requests (to Google's services) are told apart
//! from the page's by the net log: a request made for the page carries the
//! page's `file://` network isolation key. `.ci/run` installs Debian's
//! chromium; without it (outside CI) this test says so and passes.

use std::path::Path;
use std::process::Command;

use crate::common::*;
use crate::devtools::chromium;

/// Render `page` to a screenshot; returns (console lines, page requests to the network).
fn render(browser: &str, page: &Path, work: &Path) -> (Vec<String>, Vec<String>) {
    render_sized(browser, page, work, (1200, 1600))
}

/// `render` in a window of `size`; with `GENPATH_SCREENSHOTS=DIR` the
/// screenshot is kept there for a person to look at.
fn render_sized(browser: &str, page: &Path, work: &Path, size: (u32, u32)) -> (Vec<String>, Vec<String>) {
    let shot = work.join(format!("{}.png", page.file_stem().unwrap().to_string_lossy()));
    let netlog = work.join("netlog.json");
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new(browser)
        .args(crate::devtools::HEADLESS)
        .args(["--enable-logging=stderr", "--v=0"])
        .arg(format!("--window-size={},{}", size.0, size.1))
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--log-net-log={}", netlog.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    let png = std::fs::read(&shot).unwrap_or_else(|_| panic!("no screenshot of {}: {log}", page.display()));
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "screenshot of {} is empty", page.display());
    if let Some(keep) = std::env::var_os("GENPATH_SCREENSHOTS") {
        let name = format!(
            "{}-{}.png",
            page.parent().unwrap().file_name().unwrap().to_string_lossy(),
            page.file_stem().unwrap().to_string_lossy()
        );
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::write(Path::new(&keep).join(name), &png).unwrap();
    }
    let console = log.lines().filter(|l| l.contains(":CONSOLE")).map(str::to_string).collect();
    let net: serde_json::Value = serde_json::from_slice(&std::fs::read(&netlog).unwrap()).unwrap();
    let requests = net["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| {
            let p = &e["params"];
            let url = p["url"].as_str()?;
            let for_page = p["network_isolation_key"].as_str().is_some_and(|k| k.contains("file://"));
            (for_page && !url.starts_with("file:") && !url.starts_with("data:")).then(|| url.to_string())
        })
        .collect();
    (console, requests)
}

#[test]
fn report_and_portfolio_render_cleanly_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(std::env::var_os("CI").is_none(), "CI must install chromium (see .ci/run)");
        eprintln!("chromium not found: skipping the render check (`apt-get install chromium` to run it)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ada");
    let o = genpath(&ws).arg("init").arg(&ws).args(["--id", "ada", "--name", "Ada <Lovelace> & co"]).output().unwrap();
    assert!(o.status.success());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (id, dir) in [("fluency.first-image", "fluency/first-image"), ("systems.tool-choice", "systems/tool-choice")] {
        let src =
            std::fs::read_dir(root.join("exercises").join(dir).join("solution")).unwrap().next().unwrap().unwrap();
        let dest = ws.join("recipes").join(id).join(src.file_name());
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(src.path(), dest).unwrap();
        let o = run(&ws, &["run", id, "--force", "--no-images"]);
        assert!(o.status.success(), "{}", stdout(&o));
    }
    let site = tmp.path().join("portfolio");
    assert!(run(&ws, &["portfolio", "--out", site.to_str().unwrap()]).status.success());
    let outbox = tmp.path().join("outbox");
    assert!(run(&ws, &["submit", "fluency.first-image", "--out", outbox.to_str().unwrap()]).status.success());
    let teacher = tmp.path().join("teacher");
    assert!(run(&teacher, &["cohort", "create", "spring"]).status.success());
    assert!(run(&teacher, &["collect", outbox.to_str().unwrap()]).status.success());
    assert!(run(&teacher, &["cohort", "add", "spring", "ada"]).status.success());
    let report = tmp.path().join("report.html");
    assert!(
        run(&teacher, &["report", "--cohort", "spring", "--format", "html", "--out", report.to_str().unwrap()])
            .status
            .success()
    );

    for page in [report, site.join("index.html")] {
        let (console, requests) = render(browser, &page, tmp.path());
        assert!(console.is_empty(), "{}: console messages: {console:?}", page.display());
        assert!(requests.is_empty(), "{}: network requests: {requests:?}", page.display());
    }
}

/// The single learner's report, a reviewed cohort's report with its
/// drill-down, and a portfolio with a conditioned piece and an imported
/// real-tool piece render cleanly too (`GENPATH_SCREENSHOTS=DIR`
/// keeps the screenshots to look at).
#[test]
fn the_learner_report_and_a_portfolio_with_real_tools_render_cleanly() {
    let Some(browser) = chromium() else {
        assert!(std::env::var_os("CI").is_none(), "CI must install chromium (see .ci/run)");
        eprintln!("chromium not found: skipping the render check (`apt-get install chromium` to run it)");
        return;
    };
    let (tmp, teacher) = crate::review_reports::reviewed_cohort();
    let pages = tmp.path().join("pages");
    std::fs::create_dir_all(&pages).unwrap();
    let report = pages.join("learner-ada.html");
    let o = run(&teacher, &["report", "--learner", "ada", "--format", "html", "--out", report.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let cohort = pages.join("cohort-spring.html");
    let o = run(&teacher, &["report", "--cohort", "spring", "--format", "html", "--out", cohort.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let site = crate::review_reports::portfolio_with_control_and_real_tool(&tmp.path().join("own"));
    for page in [report, cohort, site.join("index.html")] {
        let (console, requests) = render_sized(browser, &page, tmp.path(), (1280, 4200));
        assert!(console.is_empty(), "{}: console messages: {console:?}", page.display());
        assert!(requests.is_empty(), "{}: network requests: {requests:?}", page.display());
    }
}
