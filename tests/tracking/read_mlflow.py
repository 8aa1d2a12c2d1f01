"""Prints the runs of an MLflow file store as JSON, read with mlflow's own client.

{"experiments": [names], "runs": [{"experiment", "name", "status", "params", "tags",
 "metrics": {key: [[step, value], ...]}}]}
"""
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
# MLflow 3 keeps the file store in maintenance mode behind this switch (its UI needs it too).
os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
from mlflow.tracking import MlflowClient  # noqa: E402

client = MlflowClient(tracking_uri="file:" + sys.argv[1])
experiments = client.search_experiments()
runs = []
for experiment in experiments:
    for run in client.search_runs([experiment.experiment_id]):
        metrics = {
            key: [[m.step, m.value] for m in client.get_metric_history(run.info.run_id, key)]
            for key in run.data.metrics
        }
        runs.append({
            "experiment": experiment.name,
            "name": run.info.run_name,
            "status": run.info.status,
            "params": run.data.params,
            "tags": run.data.tags,
            "metrics": metrics,
        })
print(json.dumps({"experiments": [e.name for e in experiments], "runs": runs}))
