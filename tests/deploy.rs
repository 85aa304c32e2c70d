//! The cluster recipes in deploy/ keep their shape (they are not run here).

mod common;

use common::*;

#[test]
fn kubernetes_indexed_job_and_slurm_array_are_well_formed() {
    let text = std::fs::read_to_string(root().join("deploy/kubernetes/indexed-job.yaml")).unwrap();
    let job: serde_yaml::Value = serde_yaml::from_str(&text).expect("the manifest is YAML");
    assert_eq!(job["kind"], "Job");
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    let completions = job["spec"]["completions"].as_u64().unwrap();
    let args: Vec<&str> = job["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let shards = args
        .iter()
        .position(|a| *a == "--shards")
        .expect("--shards");
    assert_eq!(args[shards + 1], completions.to_string());
    assert_eq!(args[0], "annotate");

    let sbatch = root().join("deploy/slurm/annotate.sbatch");
    let o = std::process::Command::new("bash")
        .arg("-n")
        .arg(&sbatch)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&sbatch).unwrap();
    assert!(text.contains("#SBATCH --array=0-7") && text.contains("newslens annotate"));
}
