//! Inline images: the terminal's graphics protocol is detected once at
//! start (kitty, iTerm2, sixel), with Unicode half-blocks as the fallback
//! that works everywhere. Decoded images are cached by path.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;
use ratatui_image::picker::Picker;
use ratatui_image::protocol::StatefulProtocol;
use ratatui_image::{Resize, StatefulImage};

/// Set to `halfblocks` to skip protocol detection (e.g. in a terminal that
/// answers queries wrongly).
pub const ENV_PROTOCOL: &str = "GENPATH_IMAGE_PROTOCOL";

pub struct Images {
    picker: Picker,
    cache: HashMap<PathBuf, Result<StatefulProtocol, String>>,
}

impl Images {
    /// Ask the terminal what it can show; fall back to half-blocks.
    pub fn detect() -> Images {
        let forced = std::env::var(ENV_PROTOCOL).is_ok_and(|v| v == "halfblocks");
        let picker = if forced {
            Picker::halfblocks()
        } else {
            Picker::from_query_stdio().unwrap_or_else(|_| Picker::halfblocks())
        };
        Images { picker, cache: HashMap::new() }
    }

    /// Half-blocks only (tests, benchmarks).
    pub fn halfblocks() -> Images {
        Images { picker: Picker::halfblocks(), cache: HashMap::new() }
    }

    pub fn protocol_name(&self) -> String {
        format!("{:?}", self.picker.protocol_type()).to_lowercase()
    }

    /// Forget cached images (after a new attempt wrote new files).
    pub fn clear(&mut self) {
        self.cache.clear();
    }

    pub fn render(&mut self, f: &mut Frame<'_>, path: &Path, area: Rect) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let picker = &self.picker;
        let entry = self.cache.entry(path.to_path_buf()).or_insert_with(|| {
            let bytes = crate::imaging::read_file(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let img = crate::imaging::decode(&bytes).map_err(|e| format!("cannot show {}: {e}", path.display()))?;
            Ok(picker.new_resize_protocol(img))
        });
        match entry {
            // Scaled to the area, up as well as down: a 512² image fills a
            // full-screen view instead of keeping its pixel size.
            Ok(p) => f.render_stateful_widget(StatefulImage::default().resize(Resize::Scale(None)), area, p),
            Err(e) => f.render_widget(Paragraph::new(e.clone()), area),
        }
    }
}
