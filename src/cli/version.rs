//! `wharf version [--format]`: client and server versions.

use serde_json::{json, Value};
use wharf_api::system::SystemVersion;

use super::template::Format;
use super::Ctx;

#[derive(Debug, clap::Args)]
pub struct VersionArgs {
    /// Format output using a custom template
    #[arg(short = 'f', long)]
    pub format: Option<String>,
}

fn client_info() -> Value {
    json!({
        "Version": env!("CARGO_PKG_VERSION"),
        "ApiVersion": wharf_api::API_VERSION,
        "DefaultAPIVersion": wharf_api::API_VERSION,
        "GoVersion": "n/a (rust)",
        "GitCommit": option_env!("WHARF_GIT_COMMIT").unwrap_or("unknown"),
        "BuildTime": "",
        "Os": std::env::consts::OS,
        "Arch": go_arch(),
        "Context": "default",
    })
}

fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        a => a,
    }
}

pub async fn run(ctx: &Ctx, a: VersionArgs) -> anyhow::Result<i32> {
    let client = client_info();
    let server = ctx.client.system().version_raw().await;
    if let Some(f) = &a.format {
        let t = Format::parse(f)?;
        let server = server.as_ref().ok().cloned().unwrap_or(Value::Null);
        println!(
            "{}",
            t.render(&json!({"Client": client, "Server": server}))?
        );
        return server_result(server_ok(&server)).map(|_| 0);
    }
    println!("Client:");
    for (label, key) in [
        ("Version", "Version"),
        ("API version", "ApiVersion"),
        ("Go version", "GoVersion"),
        ("Git commit", "GitCommit"),
        ("Built", "BuildTime"),
    ] {
        println!(
            " {:<19}{}",
            format!("{label}:"),
            client[key].as_str().unwrap_or_default()
        );
    }
    println!(" {:<19}{}/{}", "OS/Arch:", std::env::consts::OS, go_arch());
    println!(" {:<19}default", "Context:");
    let server = server?;
    let v: SystemVersion = serde_json::from_value(server).unwrap_or_default();
    println!();
    println!(
        "Server: {}",
        if v.platform.name.is_empty() {
            "wharf"
        } else {
            &v.platform.name
        }
    );
    println!(" Engine:");
    println!("  {:<18}{}", "Version:", v.version);
    println!(
        "  {:<18}{} (minimum version {})",
        "API version:", v.api_version, v.min_api_version
    );
    println!("  {:<18}{}", "Go version:", v.go_version);
    println!("  {:<18}{}", "Git commit:", v.git_commit);
    println!("  {:<18}{}", "Built:", v.build_time);
    println!("  {:<18}{}/{}", "OS/Arch:", v.os, v.arch);
    println!("  {:<18}false", "Experimental:");
    for c in v.components.iter().filter(|c| c.name != "Engine") {
        println!(" {}:", c.name);
        println!("  {:<18}{}", "Version:", c.version);
    }
    Ok(0)
}

fn server_ok(v: &Value) -> bool {
    !v.is_null()
}

fn server_result(ok: bool) -> anyhow::Result<()> {
    if ok {
        Ok(())
    } else {
        Err(super::StatusError { code: 1 }.into())
    }
}
