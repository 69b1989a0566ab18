//! The README's worked example, run as written: a learner from an SFI referral through
//! conversion, interview and approval to the waiting list, as the school, the
//! coordinator and the learner in the app. The commands are taken from README.md
//! itself, so the example cannot drift from the API.

use std::path::{Path, PathBuf};

use crate::support;

const README: &str = include_str!("../../../../README.md");

/// The shell code of the README's worked example: every ```sh block between its
/// markers, in order.
fn worked_example() -> String {
    let start = README
        .find("<!-- worked-example:start -->")
        .expect("the README marks its worked example");
    let end = README
        .find("<!-- worked-example:end -->")
        .expect("the README marks the end of its worked example");
    let mut script = String::from("set -euo pipefail\n");
    let mut in_block = false;
    for line in README[start..end].lines() {
        match line.trim_end() {
            "```sh" => in_block = true,
            "```" => in_block = false,
            code if in_block => {
                script.push_str(code);
                script.push('\n');
            }
            _ => {}
        }
    }
    script
}

/// A folder laid out like the repository after `serve.sh`, as far as the example
/// needs: the built `kompisd`, the virtualenv's Python and the client.
fn repository_like(dir: &Path) {
    let link = |target: PathBuf, path: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, path).unwrap();
    };
    let python = std::env::var("KOMPIS_TEST_PYTHON")
        .expect("KOMPIS_TEST_PYTHON must name a Python with grpcio installed; scripts/test.sh sets it up");
    link(
        PathBuf::from(env!("CARGO_BIN_EXE_kompisd")),
        "target/release/kompisd",
    );
    // The whole virtualenv: its Python finds its packages from where it lies.
    let venv = PathBuf::from(python)
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .to_owned();
    link(venv, ".venv");
    link(
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/python/kompis_call.py"
        )),
        "tests/python/kompis_call.py",
    );
}

#[tokio::test]
async fn the_readme_example_takes_a_referred_learner_to_the_waiting_list() {
    let app = support::spawn_app_with_demo().await;
    let store = kompis_store::Store::from_pool(app.pool().clone());
    kompisd::demo::load(&store).await.expect("the demo people load");
    let dir = std::env::temp_dir().join(format!("kompis-readme-{}", uuid::Uuid::new_v4().simple()));
    repository_like(&dir);

    let output = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(worked_example())
        .current_dir(&dir)
        .env("KOMPIS_ADDR", app.addr.to_string())
        .env_remove("KOMPIS_JWT_SECRET")
        .output()
        .await
        .expect("run bash");
    let _ = std::fs::remove_dir_all(&dir);

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the example failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("referred: chapters/botkyrka/referrals/"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\"outcome\": \"INTERVIEW_OUTCOME_APPROVED\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("\"languageCode\": \"wo\""),
        "the referral's languages were kept:\n{stdout}"
    );
    assert!(stdout.contains("\"shortage\""), "{stdout}");
    assert!(
        stdout.contains("\"state\": \"PARTICIPANT_STATE_READY\""),
        "{stdout}"
    );
    assert!(stdout.contains("\"queuePosition\""), "{stdout}");
    assert!(
        stdout.contains("\"interviewResult\": \"INTERVIEW_RESULT_WAITING_FOR_BUDDY\""),
        "{stdout}"
    );
    assert!(stdout.contains("\"phone\": \"+46701740697\""), "{stdout}");
}
