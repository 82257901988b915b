"""Ciclo's python model worker: one process holds one model and answers the serving process.

Started by the `python` runtime (src/serving/runtimes/python.ts) as `python3 -B ciclo_model_worker.py`.
Protocol on stdin/stdout: frames of a 4-byte big-endian length, then that many bytes of UTF-8 JSON.
Requests are answered in order, one at a time:

  {"id": 1, "op": "load", "folder": "...", "flavor": "sklearn", "entry": "model.pkl"}
  {"id": 2, "op": "predict", "columns": {"a": [1.0, 2.0], "b": [3.0, 4.0]}, "rows": 2}

Answers: {"id": 2, "ok": true, "columns": {"predictions": [...]}} or
{"id": 2, "ok": false, "error": {"type": "ValueError", "message": "..."}}.
The answer carries the Python exception's type and message only; its traceback goes to stderr, which the
server logs. Needs numpy and scikit-learn (Debian's python3-sklearn); PyYAML for MLflow folders; pandas only
for a model fitted on a DataFrame.
"""

import json
import math
import os
import pickle
import signal
import struct
import sys
import traceback

HEADER = struct.Struct(">I")

# The answer a model makes, by the name MLflow's sklearn wrapper accepts as `predict_fn`.
PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba")


class ModelLoadError(Exception):
    """A package this worker cannot load, said in words for the deployment (no traceback)."""


def protocol_streams():
    """The frames' own pipes. The model's code (and sklearn's warnings machinery) may print to stdout,
    which would corrupt the frames, so the protocol keeps a private copy of fd 1 and fd 1 becomes stderr."""
    out_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return sys.stdin.buffer, os.fdopen(out_fd, "wb")


def read_exactly(stream, size):
    chunks = []
    while size > 0:
        chunk = stream.read(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(stream):
    header = read_exactly(stream, HEADER.size)
    if header is None:
        return None
    body = read_exactly(stream, HEADER.unpack(header)[0])
    if body is None:
        return None
    return json.loads(body.decode("utf-8"))


def write_frame(stream, message):
    body = json.dumps(message, allow_nan=False, separators=(",", ":")).encode("utf-8")
    stream.write(HEADER.pack(len(body)) + body)
    stream.flush()


def inside(folder, relative, what):
    """A file the package names, refused when it points outside the package folder."""
    if not isinstance(relative, str) or relative == "":
        raise ModelLoadError(f"{what} is not a file name")
    root = os.path.realpath(folder)
    path = os.path.realpath(os.path.join(root, relative))
    if os.path.commonpath([root, path]) != root:
        raise ModelLoadError(f"{what} '{relative}' is outside the model folder")
    if not os.path.isfile(path):
        raise ModelLoadError(f"{what} '{relative}' is not a file in the model folder")
    return path


def unpickle(path, serialization_format="pickle"):
    if path.endswith(".joblib") or serialization_format == "joblib":
        try:
            import joblib
        except ImportError as error:
            name = os.path.basename(path)
            raise ModelLoadError(f"{name} needs joblib, which {sys.executable} cannot import") from error
        return joblib.load(path)
    loader = pickle
    if serialization_format == "cloudpickle":
        # cloudpickle writes ordinary pickles; it is needed only to rebuild functions and classes defined
        # in __main__, and then pickle names the missing module itself.
        try:
            import cloudpickle as loader
        except ImportError:
            loader = pickle
    elif serialization_format != "pickle":
        raise ModelLoadError(f"serialization_format '{serialization_format}' is not pickle or cloudpickle")
    with open(path, "rb") as file:
        return loader.load(file)


def read_mlmodel(folder):
    try:
        import yaml
    except ImportError as error:
        raise ModelLoadError(
            f"reading MLmodel needs PyYAML, which {sys.executable} cannot import (Debian: python3-yaml)"
        ) from error
    path = os.path.join(folder, "MLmodel")
    if not os.path.isfile(path):
        raise ModelLoadError("the model folder has no MLmodel file")
    with open(path, "r", encoding="utf-8") as file:
        document = yaml.safe_load(file)
    flavors = document.get("flavors") if isinstance(document, dict) else None
    if not isinstance(flavors, dict):
        raise ModelLoadError("MLmodel names no flavors")
    return flavors


def predict_method_of(pyfunc):
    method = (pyfunc or {}).get("predict_fn", "predict")
    if method not in PREDICT_METHODS:
        raise ModelLoadError(f"predict_fn '{method}' is not one of {', '.join(PREDICT_METHODS)}")
    return method


def add_code_path(folder, conf):
    """MLflow's `code` folder (custom transformers a pickle imports) goes on sys.path, as MLflow does."""
    code = (conf or {}).get("code")
    if code:
        sys.path.insert(0, os.path.realpath(os.path.join(folder, code)))


def load_mlflow_sklearn(folder, flavors):
    conf = flavors["sklearn"]
    add_code_path(folder, conf)
    path = inside(folder, conf.get("pickled_model"), "flavors.sklearn.pickled_model")
    model = unpickle(path, conf.get("serialization_format", "pickle"))
    return model, predict_method_of(flavors.get("python_function"))


def load_mlflow_pyfunc(folder, flavors):
    """Only what MLflow's own `mlflow.sklearn` loader does is done here, without importing mlflow. Every
    other loader_module (mlflow.pyfunc.model for a custom PythonModel, mlflow.xgboost, …) needs mlflow's
    code to rebuild the model and is refused: log it with the sklearn flavor, or export it to ONNX."""
    pyfunc = flavors["python_function"]
    loader = pyfunc.get("loader_module")
    if loader != "mlflow.sklearn":
        raise ModelLoadError(
            f"python_function loader_module '{loader}' needs mlflow, which this runtime does not import; "
            "only mlflow.sklearn models are served (or export the model to ONNX)"
        )
    add_code_path(folder, pyfunc)
    sklearn_conf = flavors.get("sklearn") or {}
    # MLflow ≤ 1.9 wrote the pickle's path as `data`, later versions as `model_path`.
    relative = pyfunc.get("model_path", pyfunc.get("data", sklearn_conf.get("pickled_model")))
    path = inside(folder, relative, "flavors.python_function.model_path")
    model = unpickle(path, sklearn_conf.get("serialization_format", "pickle"))
    return model, predict_method_of(pyfunc)


def load_model(folder, flavor, entry):
    if flavor == "sklearn":
        return unpickle(inside(folder, entry or "model.pkl", "entry")), "predict"
    if flavor in ("mlflow:sklearn", "mlflow:python_function"):
        flavors = read_mlmodel(folder)
        if flavor == "mlflow:sklearn" and isinstance(flavors.get("sklearn"), dict):
            return load_mlflow_sklearn(folder, flavors)
        if isinstance(flavors.get("python_function"), dict):
            return load_mlflow_pyfunc(folder, flavors)
        raise ModelLoadError(f"MLmodel has no {flavor.split(':', 1)[1]} flavor")
    raise ModelLoadError(f"flavor '{flavor}' is not served by the python runtime")


def input_matrix(model, columns, rows):
    """The rows as the estimator takes them: a 2-D numpy array in the frame's column order (the signature's),
    or, for an estimator fitted on a pandas DataFrame whose column names the frame has, that DataFrame."""
    import numpy as np

    names = list(columns)
    fitted_names = getattr(model, "feature_names_in_", None)
    if fitted_names is not None and set(map(str, fitted_names)) == set(names):
        try:
            import pandas as pd
        except ImportError:
            pd = None
        if pd is not None:
            return pd.DataFrame({name: columns[str(name)] for name in fitted_names})
    if len(names) == 1 and rows > 0 and isinstance(columns[names[0]][0], list):
        # A tensor column: each row already holds the features.
        return np.asarray(columns[names[0]], dtype=float_or_object(columns[names[0]]))
    arrays = [np.asarray(cells, dtype=float_or_object(cells)) for cells in columns.values()]
    if not arrays:
        raise ValueError("the request has no input columns")
    dtype = float if all(array.dtype == float for array in arrays) else object
    return np.column_stack([array.astype(dtype) for array in arrays]) if rows > 0 else np.empty((0, len(arrays)))


def float_or_object(cells):
    """Numbers (null as NaN, as MLflow reads a missing value) are float64; anything with text stays as objects."""
    def numeric(cell):
        if isinstance(cell, list):
            return all(numeric(inner) for inner in cell)
        return cell is None or isinstance(cell, (int, float))  # bool is an int: True reads as 1.0

    return float if all(numeric(cell) for cell in cells) else object


def json_cells(result):
    """A prediction as one JSON cell per row: numpy scalars as numbers, NaN and ±inf as null, 2-D as row arrays."""
    import numpy as np

    if hasattr(result, "to_numpy"):
        result = result.to_numpy()
    return [clean(cell) for cell in np.asarray(result).tolist()]


def clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [clean(inner) for inner in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class Worker:
    def __init__(self):
        self.model = None
        self.method = "predict"

    def handle(self, request):
        op = request.get("op")
        if op == "load":
            import numpy  # noqa: F401 (imported while loading, so the first request does not wait for it)

            self.model, self.method = load_model(request["folder"], request["flavor"], request.get("entry"))
            if not callable(getattr(self.model, self.method, None)):
                raise ModelLoadError(f"the unpickled {type(self.model).__name__} has no {self.method} method")
            if hasattr(self.model, "feature_names_in_"):
                try:  # fitted on a DataFrame: its requests will be one, so pandas is imported now, if at all
                    import pandas  # noqa: F401
                except ImportError:
                    pass
            return {}
        if op == "predict":
            if self.model is None:
                raise ModelLoadError("no model is loaded")
            matrix = input_matrix(self.model, request["columns"], request["rows"])
            return {"columns": {"predictions": json_cells(getattr(self.model, self.method)(matrix))}}
        raise ValueError(f"unknown op {op!r}")


def main():
    # Ctrl-C in a terminal signals the whole process group: the server decides when its workers stop
    # (stdin closed), so a SIGINT must not kill a worker under a request the server is still answering.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests, answers = protocol_streams()
    worker = Worker()
    while True:
        # End of stdin: the server closed the model, or died; either way this worker has no one to answer.
        request = read_frame(requests)
        if request is None:
            return
        try:
            answer = {"id": request.get("id"), "ok": True, **worker.handle(request)}
        except Exception as error:  # every failure is answered; the worker serves the next request
            if not isinstance(error, ModelLoadError):
                traceback.print_exc(file=sys.stderr)
            failure = {"type": type(error).__name__, "message": str(error)}
            answer = {"id": request.get("id"), "ok": False, "error": failure}
        write_frame(answers, answer)


if __name__ == "__main__":
    main()
