//! `wharf login [-u USER] [-p PASS | --password-stdin] [SERVER]` and
//! `wharf logout [SERVER]`: credentials checked by the daemon (`POST
//! /auth`), kept in `~/.docker/config.json` as docker keeps them.

use std::io::BufRead;

use super::registry_auth::{key_of, remove, store};
use super::Ctx;
use wharf_registry::Credentials;

#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// Username
    #[arg(short = 'u', long)]
    pub username: Option<String>,
    /// Password
    #[arg(short = 'p', long)]
    pub password: Option<String>,
    /// Take the password from stdin
    #[arg(long = "password-stdin")]
    pub password_stdin: bool,
    /// SERVER (Docker Hub when omitted)
    pub server: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct LogoutArgs {
    /// SERVER (Docker Hub when omitted)
    pub server: Option<String>,
}

pub async fn run(ctx: &Ctx, a: LoginArgs) -> anyhow::Result<i32> {
    let key = key_of(a.server.as_deref());
    let Some(username) = a.username.clone().filter(|u| !u.is_empty()) else {
        anyhow::bail!("a username is required: pass -u USER");
    };
    let password = match (a.password.clone(), a.password_stdin) {
        (Some(_), true) => anyhow::bail!("--password and --password-stdin are mutually exclusive"),
        (Some(p), false) => {
            eprintln!("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
            p
        }
        (None, true) => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\n', '\r']).to_string()
        }
        (None, false) => anyhow::bail!("a password is required: pass --password-stdin"),
    };
    let creds = Credentials {
        username,
        password,
        serveraddress: key.clone(),
        ..Default::default()
    };
    let body = serde_json::to_value(&creds)?;
    let r: serde_json::Value = ctx.client.post_json("/auth", Some(&body)).await?;
    store(&key, &creds)?;
    println!("{}", r["Status"].as_str().unwrap_or("Login Succeeded"));
    Ok(0)
}

pub async fn logout(_ctx: &Ctx, a: LogoutArgs) -> anyhow::Result<i32> {
    let key = key_of(a.server.as_deref());
    if remove(&key)? {
        println!("Removing login credentials for {key}");
    } else {
        println!("Not logged in to {key}");
    }
    Ok(0)
}
