"""A trivial Flask app: the baseline the benchmark compares the hub's pages with."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "ok"
