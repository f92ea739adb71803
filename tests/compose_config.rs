//! `wharf compose config` prints, byte for byte, what Docker Compose v2
//! (`docker compose config`, the plugin `scripts/setup.sh` installs)
//! prints for the same files, as YAML and as JSON: key order, the
//! defaults it fills, short syntax expanded, quoting, unused resources
//! left out. The fixtures are in `tests/fixtures/compose-config/`; both
//! tools run in the same directory, so their absolute paths agree and
//! nothing needs normalising. No daemon is needed.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const COMPOSE_V2: &str = "/usr/local/lib/docker/cli-plugins/docker-compose";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose-config")
}

fn config(mut c: Command, dir: &Path, format: &str) -> String {
    c.args(["--profile", "debug", "config", "--format", format])
        .current_dir(dir)
        // the fixtures' `${DB_NAME:-appdb}` and `DEBUG` come from here
        .env_remove("DB_NAME")
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROFILES")
        .env("DEBUG", "from-env");
    let o = common::run_cmd(c, None, Duration::from_secs(30));
    o.success().stdout.clone()
}

fn compare(name: &str) {
    let dir = fixtures().join(name);
    for format in ["yaml", "json"] {
        let want = config(Command::new(COMPOSE_V2), &dir, format);
        let mut w = Command::new(common::WHARF);
        w.arg("compose");
        let got = config(w, &dir, format);
        if want != got {
            let diff: Vec<String> = want
                .lines()
                .zip(got.lines())
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .take(5)
                .map(|(i, (a, b))| format!("line {}: docker {a:?} / wharf {b:?}", i + 1))
                .collect();
            panic!(
                "{name} ({format}) differs from docker compose's:\n{}\n--- docker compose\n{want}\n--- wharf compose\n{got}",
                diff.join("\n")
            );
        }
    }
}

macro_rules! fixture {
    ($($test:ident => $dir:literal,)*) => {
        $(
            #[test]
            fn $test() {
                compare($dir);
            }
        )*
    };
}

fixture! {
    config_ports_short_and_long => "ports",
    config_volumes_short_and_long => "volumes",
    config_networks_with_aliases_and_ipam => "networks",
    config_depends_on_conditions_and_healthcheck => "depends",
    config_build_with_args => "build",
    config_env_file_and_service_fields => "envfile",
    config_profiles => "profiles",
    config_extends => "extends",
    config_include => "include",
    config_anchors_and_merge_keys => "anchors",
    config_unused_resources_secrets_configs => "unused",
}

/// `config --services`: the same services as Docker Compose v2, in an
/// order where each comes after what it depends on, as v2 prints them
/// (v2's order among independent services varies from run to run, so the
/// comparison is of the set and of the dependency order).
#[test]
fn config_services_in_dependency_order() {
    for name in ["depends", "profiles", "extends", "include", "anchors"] {
        let dir = fixtures().join(name);
        let list = |mut c: Command| -> Vec<String> {
            c.args(["--profile", "debug", "config", "--services"])
                .current_dir(&dir)
                .env_remove("COMPOSE_PROJECT_NAME")
                .env_remove("COMPOSE_FILE")
                .env_remove("COMPOSE_PROFILES")
                .env("DEBUG", "from-env");
            let o = common::run_cmd(c, None, Duration::from_secs(30));
            o.success().stdout.lines().map(str::to_owned).collect()
        };
        let want = list(Command::new(COMPOSE_V2));
        let mut w = Command::new(common::WHARF);
        w.arg("compose");
        let got = list(w);
        let mut a = want.clone();
        let mut b = got.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b, "{name}: docker compose {want:?} / wharf {got:?}");
        // each service's dependencies come before it
        let mut j = Command::new(common::WHARF);
        j.args([
            "compose",
            "--profile",
            "debug",
            "config",
            "--format",
            "json",
        ])
        .current_dir(&dir)
        .env("DEBUG", "from-env");
        let o = common::run_cmd(j, None, Duration::from_secs(30));
        let v: serde_json::Value = serde_json::from_str(&o.success().stdout).unwrap();
        let pos = |s: &str| got.iter().position(|x| x == s);
        for (svc, def) in v["services"].as_object().unwrap() {
            let Some(deps) = def["depends_on"].as_object() else {
                continue;
            };
            for dep in deps.keys() {
                if let (Some(a), Some(b)) = (pos(dep), pos(svc)) {
                    assert!(a < b, "{name}: {dep} listed after {svc}: {got:?}");
                }
            }
        }
    }
}
