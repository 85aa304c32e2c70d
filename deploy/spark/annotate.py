"""newslens as a Spark stage: every partition of a JSONL corpus is piped through
`newslens annotate -` (RDD.pipe), and the annotations are written as JSON part files.

    spark-submit deploy/spark/annotate.py --input articles.jsonl --output out/ \
        --newslens-home /shared/newslens [--partitions 64] [--threads 1]

NEWSLENS_HOME is a folder every executor can read (a shared file system, or unpacked from an
archive shipped with --archives): target/release/newslens, models/, and
.onnxruntime/lib/libonnxruntime.so, as `make build` leaves them. Each partition's process loads
the models once. `--errors inline` makes a rejected record an error line in place, so exit
status 3 (some records rejected) is not a task failure here: the rejects are in the output,
with an "error" field. Records are read as text lines and written back as text lines: newslens
gives the same record for an article whatever partition it lands in.
"""
import argparse
import os
import shlex

from pyspark import SparkConf, SparkContext


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True, help="JSONL: {id, text, ...} a line")
    ap.add_argument("--output", required=True, help="folder for the part files (must not exist)")
    ap.add_argument("--newslens-home", required=True)
    ap.add_argument("--partitions", type=int, default=0, help="0: Spark's default")
    ap.add_argument("--threads", type=int, default=1, help="newslens worker threads per task")
    ap.add_argument("--master", default=None, help="e.g. local[2]; default: spark-submit's")
    args = ap.parse_args()

    home = os.path.abspath(args.newslens_home)
    binary = os.path.join(home, "target", "release", "newslens")
    models = os.path.join(home, "models")
    newslens = shlex.join([
        binary, "annotate", "-", "--quiet", "--errors", "inline", "--threads", str(args.threads),
        "--ner-model", f"{models}/ner", "--sentiment-model", f"{models}/sentiment",
        "--targeted-model", f"{models}/targeted",
    ])
    # Exit 3 (some records rejected, each an error line in the output) is not a failure here.
    command = shlex.join(["sh", "-c", f"{newslens}; s=$?; [ $s -eq 3 ] && exit 0; exit $s"])
    env = {"ORT_DYLIB_PATH": os.path.join(home, ".onnxruntime", "lib", "libonnxruntime.so")}

    conf = SparkConf().setAppName("newslens-annotate")
    if args.master:
        conf = conf.setMaster(args.master)
    if (args.master or "").startswith("local"):
        # A local run stays on the loopback interface.
        conf = conf.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
    sc = SparkContext(conf=conf)
    lines = sc.textFile(args.input, minPartitions=args.partitions or None)
    records = lines.filter(lambda line: line.strip() != "")
    annotated = records.pipe(command, env=env, checkCode=True)
    annotated.saveAsTextFile(args.output)
    sc.stop()


if __name__ == "__main__":
    main()
