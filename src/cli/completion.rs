//! `wharf completion bash|zsh|fish`: shell completion scripts generated
//! from the clap definitions, as `docker completion` prints them.

use clap::CommandFactory;
use clap_complete::Shell;

#[derive(Debug, clap::Args)]
pub struct CompletionArgs {
    /// The shell: bash, zsh or fish
    #[arg(value_name = "SHELL", value_parser = ["bash", "zsh", "fish"])]
    pub shell: String,
}

pub fn run(a: CompletionArgs) -> anyhow::Result<i32> {
    let shell = match a.shell.as_str() {
        "bash" => Shell::Bash,
        "zsh" => Shell::Zsh,
        _ => Shell::Fish,
    };
    let mut cmd = super::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "wharf", &mut out);
    use std::io::Write;
    std::io::stdout().write_all(&out)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_name_the_commands() {
        for (shell, needle) in [
            (Shell::Bash, "complete -F _wharf"),
            (Shell::Zsh, "#compdef wharf"),
            (Shell::Fish, "complete -c wharf"),
        ] {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut super::super::Cli::command(), "wharf", &mut out);
            let s = String::from_utf8(out).unwrap();
            assert!(s.contains(needle), "{shell}: {}", &s[..200.min(s.len())]);
            assert!(s.contains("volume"), "{shell}");
        }
    }
}
