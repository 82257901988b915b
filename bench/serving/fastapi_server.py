"""The floor `mlflow models serve` sets for bench/serving: FastAPI + uvicorn + scikit-learn.

`python3 fastapi_server.py serve TRAIN.csv` trains the churn forest on the bench's generated CSV
(RandomForestClassifier(n_estimators=50, max_depth=6), the one-hot encoding inside the model as a
scikit-learn Pipeline, as an MLflow sklearn model carries it), then serves `POST /invocations` with
`dataframe_records` the way MLflow's pyfunc scoring server does: the JSON body into a pandas
DataFrame, the signature's column types enforced, the model's prediction back as `{"predictions": [...]}`.
One uvicorn worker (MLflow's default), access log off. Prints `{"url": ...}` once it listens.

`python3 fastapi_server.py pickle TRAIN.csv OUT.pkl` trains the same pipeline and pickles it, for the
package Ciclo's python runtime serves in the batching figure.

Debian's python3 with python3-sklearn, python3-pandas, python3-fastapi and python3-uvicorn.
"""

import json
import pickle
import socket
import sys

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

NUMERIC = ["tenure_months", "monthly_charges", "total_charges", "support_calls"]
CATEGORICAL = ["contract", "payment_method", "internet_service"]
# The signature's order (examples/churn/steps/package.ts).
COLUMNS = NUMERIC + CATEGORICAL
TYPES = {**{name: "float64" for name in NUMERIC}, **{name: "object" for name in CATEGORICAL}}


def train(csv_path):
    data = pd.read_csv(csv_path)
    encode = ColumnTransformer(
        [("one_hot", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL)],
        remainder="passthrough",
    )
    forest = RandomForestClassifier(n_estimators=50, max_depth=6, random_state=42)
    model = Pipeline([("encode", encode), ("forest", forest)])
    model.fit(data[COLUMNS].astype(TYPES), data["churned"])
    return model


def serve(csv_path):
    import uvicorn
    from fastapi import FastAPI, Request, Response

    model = train(csv_path)
    app = FastAPI()

    @app.get("/ping")
    async def ping():
        return Response("\n", media_type="text/plain")

    @app.post("/invocations")
    async def invocations(request: Request):
        body = json.loads(await request.body())
        frame = pd.DataFrame(body["dataframe_records"], columns=COLUMNS).astype(TYPES)
        scores = model.predict_proba(frame)[:, 1]
        return Response(json.dumps({"predictions": scores.tolist()}), media_type="application/json")

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(2048)
    port = listener.getsockname()[1]
    print(json.dumps({"url": f"http://127.0.0.1:{port}"}), flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, workers=1)
    uvicorn.Server(config).run(sockets=[listener])


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "pickle":
        with open(sys.argv[3], "wb") as out:
            pickle.dump(train(sys.argv[2]), out)
    else:
        sys.exit("usage: fastapi_server.py serve TRAIN.csv | pickle TRAIN.csv OUT.pkl")


if __name__ == "__main__":
    main()
