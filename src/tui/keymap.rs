//! Every key the studio understands, in one table: the event loop maps keys
//! through it and the help screen is generated from it, so they cannot
//! disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::Action;

/// One binding: the keys, what they do, and a short label for the footer.
pub struct Binding {
    pub keys: &'static [KeyCode],
    pub action: Action,
    pub label: &'static str,
    pub help: &'static str,
}

macro_rules! bind {
    ([$($k:expr),+], $action:expr, $label:expr, $help:expr) => {
        Binding { keys: &[$($k),+], action: $action, label: $label, help: $help }
    };
}

use KeyCode::*;

pub const BINDINGS: &[Binding] = &[
    bind!([Up, Char('k')], Action::Up, "↑/k", "move up (path, history); scroll up elsewhere"),
    bind!([Down, Char('j')], Action::Down, "↓/j", "move down (path, history); scroll down elsewhere"),
    bind!([PageUp, Char('K')], Action::ScrollUp, "PgUp/K", "scroll the brief up"),
    bind!([PageDown, Char('J')], Action::ScrollDown, "PgDn/J", "scroll the brief down"),
    bind!([Char('e')], Action::Edit, "e", "edit your recipe in $VISUAL / $EDITOR"),
    bind!([Char('r')], Action::Run, "r", "run: generate, check, record"),
    bind!([Char('c')], Action::Cancel, "c", "cancel the running attempt"),
    bind!([Char('w')], Action::ToggleWatch, "w", "watch mode: re-run when the recipe is saved"),
    bind!([Char('h')], Action::Hint, "h", "reveal the next hint"),
    bind!([Left, Char('[')], Action::PrevImage, "←/→", "previous / next image of the set"),
    bind!([Right, Char(']')], Action::NextImage, "", ""),
    bind!([Enter], Action::FullImage, "Enter", "show the current image full screen"),
    bind!([Char('a')], Action::History, "a", "attempts: history with recipe diffs"),
    bind!([Char('p')], Action::Progress, "p", "progress: milestones, attempts, best scores"),
    bind!([Char('x')], Action::Reset, "x", "reset the recipe to the starter (asks first)"),
    bind!([Char('s')], Action::Submit, "s", "submit: bundle your best attempt for your instructor"),
    bind!([Char('!')], Action::ShowError, "!", "the last run's error in full (it clears when a run succeeds)"),
    bind!([Char('?')], Action::Help, "?", "this help"),
    bind!([Char('q')], Action::Back, "q", "back; quit from the path"),
    bind!([Esc], Action::Escape, "Esc", "back, or cancel a running attempt"),
];

/// The action a key press stands for, if any. Ctrl-C always quits.
pub fn action(key: KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == Char('c') {
        return Some(Action::Quit);
    }
    if let Char('y') | Char('Y') = key.code {
        return Some(Action::Yes);
    }
    if let Char('n') | Char('N') = key.code {
        return Some(Action::No);
    }
    BINDINGS.iter().find(|b| b.keys.contains(&key.code)).map(|b| b.action)
}

/// How a key is shown to people.
pub fn key_name(k: &KeyCode) -> String {
    match k {
        Up => "↑".into(),
        Down => "↓".into(),
        Left => "←".into(),
        Right => "→".into(),
        PageUp => "PgUp".into(),
        PageDown => "PgDn".into(),
        Enter => "Enter".into(),
        Esc => "Esc".into(),
        Char(c) => c.to_string(),
        other => format!("{other:?}"),
    }
}
