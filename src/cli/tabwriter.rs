//! Column alignment like Go's `text/tabwriter` as docker configures it
//! (`minwidth`, `padding`, space padding): cells are separated by `\t`,
//! every cell but a line's last is padded to its column's width.

/// Align `text` (lines of `\t`-separated cells).
pub fn align(text: &str, minwidth: usize, padding: usize) -> String {
    let lines: Vec<Vec<&str>> = text
        .split_terminator('\n')
        .map(|l| l.split('\t').collect())
        .collect();
    let ncols = lines.iter().map(|l| l.len()).max().unwrap_or(0);
    let mut widths = vec![0usize; ncols];
    for l in &lines {
        // The last cell of a line is not part of a column.
        for (i, cell) in l.iter().enumerate().take(l.len().saturating_sub(1)) {
            let w = (width(cell) + padding).max(minwidth);
            widths[i] = widths[i].max(w);
        }
    }
    let mut out = String::new();
    for l in &lines {
        for (i, cell) in l.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < l.len() {
                out.extend(std::iter::repeat_n(' ', widths[i] - width(cell)));
            }
        }
        out.push('\n');
    }
    out
}

/// Display width: characters, which is right for the ASCII and `…` we print.
pub fn width(s: &str) -> usize {
    s.chars().count()
}

/// Docker's table layout: minwidth 10, padding 3.
pub fn table(text: &str) -> String {
    align(text, 10, 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_columns() {
        let t = table("CONTAINER ID\tIMAGE\tNAMES\nabc\tbusybox\tx\n");
        assert_eq!(
            t,
            "CONTAINER ID   IMAGE     NAMES\nabc            busybox   x\n"
        );
    }

    #[test]
    fn unicode_width() {
        let t = align("a…\tb\nxyz\tc\n", 0, 1);
        assert_eq!(t, "a…  b\nxyz c\n");
    }
}
