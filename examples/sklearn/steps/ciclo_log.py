"""Logs metrics to Ciclo over its MLflow-compatible REST API, with the standard library only.

A pipeline step gets CICLO_TRACKING_URI (the tracking server) and CICLO_RUN_ID (the step's tracked
run) in its environment when Ciclo runs it against a server. Without CICLO_TRACKING_URI (the
embedded default) these functions print a note and do nothing: the step still writes its outputs.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request


def log_metrics(metrics, step=0):
    """POST {uri}/api/2.0/mlflow/runs/log-batch with every metric; returns True when sent."""
    uri = os.environ.get("CICLO_TRACKING_URI")
    run_id = os.environ.get("CICLO_RUN_ID")
    if not uri or not run_id:
        print(f"ciclo_log: CICLO_TRACKING_URI is not set; not logging {len(metrics)} metric(s)")
        return False
    timestamp = int(time.time() * 1000)
    body = {
        "run_id": run_id,
        "metrics": [
            {"key": key, "value": float(value), "timestamp": timestamp, "step": step}
            for key, value in sorted(metrics.items())
        ],
    }
    request = urllib.request.Request(
        uri.rstrip("/") + "/api/2.0/mlflow/runs/log-batch",
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace")
        sys.exit(f"ciclo_log: logging metrics failed: HTTP {error.code}: {detail}")
    return True
