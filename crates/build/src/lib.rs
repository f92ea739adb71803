//! wharf-build owns the text side of `docker build`: the Dockerfile parser
//! (parser directives, continuations, comments, heredocs, shell and exec
//! forms; errors name the file, line and instruction), the shell-word lexer
//! with the builder's variable substitution (`$VAR`, `${VAR:-x}`,
//! `${VAR:+x}`, …), and the `.dockerignore` matcher shared by the CLI (which
//! leaves excluded files out of the context it sends) and the daemon.
//!
//! It does no I/O and knows nothing about images or containers: the daemon's
//! builder (`wharf-daemon`'s `build` module) executes what this crate parses.

pub mod glob;
pub mod ignore;
pub mod lex;
pub mod parser;

pub use parser::{parse, Args, Dockerfile, Heredoc, Instruction, ParseError};
