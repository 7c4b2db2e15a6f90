//! Every key the studio understands, one table per mode (the learner's
//! studio, the instructor's review): the event loop maps keys through it and
//! the help screen is generated from it, so they cannot disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::Action;
use super::review::ReviewAction;

/// One binding: the keys, what they do, and a short label for the footer.
pub struct Binding<A: 'static = Action> {
    pub keys: &'static [KeyCode],
    pub action: A,
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
    bind!([Char('g')], Action::Grid, "g", "grid: an X/Y/Z plot of your recipe (e.g. cfg=4,7,10; steps=8,20,30)"),
    bind!([Char('i')], Action::Inputs, "i", "inputs: the exercise's control maps, init images, masks, full screen"),
    bind!([Char('a')], Action::History, "a", "attempts: each one's recipe diff and images beside the one before"),
    bind!([Char('p')], Action::Progress, "p", "progress: milestones, attempts, best scores"),
    bind!([Char('x')], Action::Reset, "x", "reset the recipe to the starter (asks first)"),
    bind!([Char('s')], Action::Submit, "s", "submit: bundle your best attempt for your instructor"),
    bind!([Char('!')], Action::ShowError, "!", "the last run's error in full (it clears when a run succeeds)"),
    bind!([Char('?')], Action::Help, "?", "this help"),
    bind!([Char('q')], Action::Back, "q", "back; quit from the path"),
    bind!([Esc], Action::Escape, "Esc", "back, or cancel a running attempt"),
];

/// The review mode's keys (`genpath review`).
pub const REVIEW: &[Binding<ReviewAction>] = &[
    bind!([Up, Char('k')], ReviewAction::Up, "↑/k", "previous submission"),
    bind!([Down, Char('j')], ReviewAction::Down, "↓/j", "next submission"),
    bind!([PageUp, Char('K')], ReviewAction::ScrollUp, "PgUp/K", "scroll the submission up"),
    bind!([PageDown, Char('J')], ReviewAction::ScrollDown, "PgDn/J", "scroll the submission down"),
    bind!(
        [Char('v')],
        ReviewAction::Filter,
        "v",
        "show: all / needs review / failed / passed (by the grade of record)"
    ),
    bind!([Tab], ReviewAction::NextCheck, "Tab", "grade the next check (after the last: the whole submission again)"),
    bind!([BackTab], ReviewAction::PrevCheck, "", ""),
    bind!([Char('p')], ReviewAction::Pass, "p", "grade pass (the submission, or the check Tab selected)"),
    bind!([Char('f')], ReviewAction::Fail, "f", "grade fail (the submission, or the check Tab selected)"),
    bind!([Char('u')], ReviewAction::Ungrade, "u", "clear the grade: the automatic verdict counts again"),
    bind!([Char('+'), Char('=')], ReviewAction::Raise, "+/-", "adjust the submission's score by 5"),
    bind!([Char('-')], ReviewAction::Lower, "", ""),
    bind!([Char('c')], ReviewAction::Comment, "c", "comment (Markdown) on the submission, or the check Tab selected"),
    bind!([Left, Char('[')], ReviewAction::PrevImage, "←/→", "previous / next image (outputs, then the inputs)"),
    bind!([Right, Char(']')], ReviewAction::NextImage, "", ""),
    bind!([Enter], ReviewAction::FullImage, "Enter", "show the current image full screen"),
    bind!([Char('?')], ReviewAction::Help, "?", "this help"),
    bind!([Char('q')], ReviewAction::Back, "q", "back; quit from the list"),
    bind!([Esc], ReviewAction::Back, "Esc", "back"),
];

fn find<A: Copy>(table: &[Binding<A>], key: &KeyEvent) -> Option<A> {
    table.iter().find(|b| b.keys.contains(&key.code)).map(|b| b.action)
}

pub fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == Char('c')
}

/// The action a key press stands for, if any. Ctrl-C always quits.
pub fn action(key: KeyEvent) -> Option<Action> {
    if is_ctrl_c(&key) {
        return Some(Action::Quit);
    }
    if let Char('y') | Char('Y') = key.code {
        return Some(Action::Yes);
    }
    if let Char('n') | Char('N') = key.code {
        return Some(Action::No);
    }
    find(BINDINGS, &key)
}

/// The review mode's action for a key press. Ctrl-C always quits.
pub fn review_action(key: KeyEvent) -> Option<ReviewAction> {
    if is_ctrl_c(&key) {
        return Some(ReviewAction::Quit);
    }
    find(REVIEW, &key)
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
        Tab => "Tab".into(),
        BackTab => "Shift-Tab".into(),
        Char(c) => c.to_string(),
        other => format!("{other:?}"),
    }
}
