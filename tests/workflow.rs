//! The shipped CI example is valid workflow YAML with the jobs the documentation promises.

use yaml_rust2::{Yaml, YamlLoader};

#[test]
fn the_ci_example_is_a_valid_workflow_with_test_check_and_bench_jobs() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/.github/workflows/orchsim.yml");
    let text = std::fs::read_to_string(path).unwrap();
    let docs = YamlLoader::load_from_str(&text).expect("valid YAML");
    let w = &docs[0];
    assert_eq!(w["name"].as_str(), Some("orchsim"));
    assert!(!w["on"].is_badvalue(), "a trigger");
    for job in ["test", "check", "bench"] {
        let j = &w["jobs"][job];
        assert!(j["runs-on"].as_str().is_some(), "{job} has runs-on");
        let steps = j["steps"].as_vec().unwrap_or_else(|| panic!("{job} has steps"));
        assert!(steps.iter().all(|s| matches!(s, Yaml::Hash(_))));
        assert!(
            steps.iter().all(|s| s["uses"].as_str().is_some() || s["run"].as_str().is_some()),
            "{job}: every step uses or runs"
        );
    }
    let runs: String = w["jobs"]["check"]["steps"].as_vec().unwrap().iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(runs.contains("orchsim check scenarios/*.toml --junit"));
}
