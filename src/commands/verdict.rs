//! Printing a verdict as plain text (shared by `run` and `check`).

use crate::checks::{Outcome, Verdict};

/// One line per outcome: mark, name, severity, measured vs wanted, message.
pub fn outcome_line(o: &Outcome) -> String {
    format!("  {} {:<22} {:<11} {:>13}  {}", o.mark(), o.check, o.severity.as_str(), o.measured(), o.message)
}

pub fn print(v: &Verdict) -> anyhow::Result<()> {
    for o in &v.outcomes {
        outln!("{}", outcome_line(o));
    }
    let failed = v.outcomes.iter().filter(|o| !o.passed && o.severity == crate::checks::Severity::Essential).count();
    if v.passed {
        outln!("PASSED — score {}/100", v.score);
    } else {
        outln!(
            "FAILED — score {}/100 ({failed} essential check{} failed)",
            v.score,
            if failed == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

/// Print image thumbnails after the text, when stdout is a terminal (viuer
/// picks kitty, iTerm or half-blocks); `--no-images` turns this off.
pub fn thumbnails(paths: &[std::path::PathBuf], enabled: bool) {
    use std::io::IsTerminal;
    if !enabled || !std::io::stdout().is_terminal() || paths.is_empty() {
        return;
    }
    let config = viuer::Config { absolute_offset: false, width: Some(24), ..Default::default() };
    for p in paths.iter().take(6) {
        if let Ok(img) =
            crate::imaging::read_file(p).map_err(|e| e.to_string()).and_then(|b| crate::imaging::decode(&b))
        {
            let _ = viuer::print(&img, &config);
        }
    }
}
