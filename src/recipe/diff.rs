//! A line diff (longest common subsequence) between two recipes: what
//! changed between one attempt and another (the studio's history,
//! `genpath compare`). Where a line was replaced, the old line comes first,
//! as in every diff people read (`-` then `+`).

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Same(String),
    Added(String),
    Removed(String),
}

pub fn diff(old: &str, new: &str) -> Vec<Line> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push(Line::Same(a[i].to_string()));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] > lcs[i + 1][j]) {
            out.push(Line::Added(b[j].to_string()));
            j += 1;
        } else {
            out.push(Line::Removed(a[i].to_string()));
            i += 1;
        }
    }
    out
}

/// The diff as text: `  ` unchanged, `- ` removed, `+ ` added, one line each.
pub fn unified(old: &str, new: &str) -> String {
    diff(old, new)
        .into_iter()
        .map(|l| match l {
            Line::Same(s) => format!("  {s}\n"),
            Line::Removed(s) => format!("- {s}\n"),
            Line::Added(s) => format!("+ {s}\n"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_changed_lines() {
        let d = diff("a\nseed = -1\nc\n", "a\nseed = 4\nc\nd\n");
        assert_eq!(
            d,
            vec![
                Line::Same("a".into()),
                Line::Removed("seed = -1".into()),
                Line::Added("seed = 4".into()),
                Line::Same("c".into()),
                Line::Added("d".into())
            ]
        );
    }
}
