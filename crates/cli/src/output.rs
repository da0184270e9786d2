//! Printing for people: colour when it helps, `error:` prefixes, quiet broken pipes.

use std::io::{self, IsTerminal, Write};

use crate::cli::ColorChoice;

/// ANSI styles, empty when colour is off.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub on: bool,
}

impl Style {
    pub fn for_stdout(choice: ColorChoice) -> Style {
        let on = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        Style { on }
    }

    /// Colour on stderr when it is a terminal and NO_COLOR is not set.
    pub fn for_stderr() -> Style {
        Style { on: io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.on { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
    }

    pub fn red(self, text: &str) -> String {
        self.paint("1;31", text)
    }
    pub fn yellow(self, text: &str) -> String {
        self.paint("1;33", text)
    }
    pub fn green(self, text: &str) -> String {
        self.paint("1;32", text)
    }
    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// Prints `error: message` on stderr, in red on a terminal.
pub fn error_line(message: &str) {
    let style = Style::for_stderr();
    let _ = writeln!(io::stderr().lock(), "{} {message}", style.red("error:"));
}

/// Whether the error chain holds a broken pipe (`callfull … | head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe))
}

/// "1 payload", "2 payloads".
pub fn plural(n: usize, word: &str) -> String {
    // English adds "es" after a sibilant: "breach" → "breaches".
    let suffix = if n == 1 {
        ""
    } else if ["s", "x", "z", "ch", "sh"].iter().any(|end| word.ends_with(end)) {
        "es"
    } else {
        "s"
    };
    format!("{n} {word}{suffix}")
}
