//! `kubeseal-rs completions <shell>`: a completion script generated from the same clap
//! definition that parses the flags, so it never drifts from them.

use clap::CommandFactory;

use crate::args::Args;

/// The arguments of `kubeseal-rs completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for. Install, for example, with
    /// `kubeseal-rs completions bash > /etc/bash_completion.d/kubeseal-rs`.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The completion script for `shell`.
pub fn script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut command = Args::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "kubeseal-rs", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_naming_the_binary() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::PowerShell,
            clap_complete::Shell::Elvish,
        ] {
            let text = String::from_utf8(script(shell)).unwrap();
            assert!(text.contains("kubeseal-rs") && text.contains("re-encrypt"), "{shell}");
        }
    }
}
