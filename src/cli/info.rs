//! `wharf info [--format]`: system-wide information.

use serde_json::Value;

use super::template::Format;
use super::Ctx;

#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// Format output using a custom template
    #[arg(short = 'f', long)]
    pub format: Option<String>,
}

fn s(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(x) => x.to_string(),
    }
}

pub async fn run(ctx: &Ctx, a: InfoArgs) -> anyhow::Result<i32> {
    let raw = ctx.client.system().info_raw().await?;
    if let Some(f) = &a.format {
        let t = Format::parse(f)?;
        println!("{}", t.render_raw(&raw)?);
        return Ok(0);
    }
    let info: Value = serde_json::from_slice(&raw)?;
    println!("Client:");
    println!(" Version:    {}", env!("CARGO_PKG_VERSION"));
    println!(" Context:    default");
    println!(" Debug Mode: false");
    println!();
    println!("Server:");
    println!(" Containers: {}", s(&info, "Containers"));
    println!("  Running: {}", s(&info, "ContainersRunning"));
    println!("  Paused: {}", s(&info, "ContainersPaused"));
    println!("  Stopped: {}", s(&info, "ContainersStopped"));
    println!(" Images: {}", s(&info, "Images"));
    println!(" Server Version: {}", s(&info, "ServerVersion"));
    println!(" Storage Driver: {}", s(&info, "Driver"));
    println!(" Logging Driver: {}", s(&info, "LoggingDriver"));
    println!(" Cgroup Driver: {}", s(&info, "CgroupDriver"));
    println!(" Cgroup Version: {}", s(&info, "CgroupVersion"));
    if let Some(Value::Object(rt)) = info.get("Runtimes") {
        let names: Vec<&String> = rt.keys().collect();
        println!(
            " Runtimes: {}",
            names
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    println!(" Default Runtime: {}", s(&info, "DefaultRuntime"));
    println!(" Kernel Version: {}", s(&info, "KernelVersion"));
    println!(" Operating System: {}", s(&info, "OperatingSystem"));
    println!(" OSType: {}", s(&info, "OSType"));
    println!(" Architecture: {}", s(&info, "Architecture"));
    println!(" CPUs: {}", s(&info, "NCPU"));
    if let Some(m) = info.get("MemTotal").and_then(Value::as_i64) {
        println!(" Total Memory: {:.2}GiB", m as f64 / (1u64 << 30) as f64);
    }
    println!(" Name: {}", s(&info, "Name"));
    println!(" ID: {}", s(&info, "ID"));
    println!(" Docker Root Dir: {}", s(&info, "DockerRootDir"));
    println!(" Debug Mode: {}", s(&info, "Debug"));
    println!(" Experimental: {}", s(&info, "ExperimentalBuild"));
    if let Some(Value::Array(w)) = info.get("Warnings") {
        for w in w.iter().filter_map(Value::as_str) {
            eprintln!("{w}");
        }
    }
    Ok(0)
}
