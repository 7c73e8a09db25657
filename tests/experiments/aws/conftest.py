"""A real HTTP stand-in for AWS: moto in server mode on 127.0.0.1, reached through AWS_ENDPOINT_URL.

Nothing in boto3 or the SageMaker SDK is patched: clients find the server through the standard
``AWS_ENDPOINT_URL`` variable, with dummy credentials on the standard chain. moto's request
recorder keeps every request the server received, so tests can assert what was actually sent.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# moto's recorder reads its file location when moto is imported
os.environ["MOTO_RECORDER_FILEPATH"] = str(Path(tempfile.mkdtemp(prefix="sagelab-moto-")) / "recording.jsonl")

import boto3
import requests
from moto.server import ThreadedMotoServer

# the server logs every request; keep test output to what matters
logging.getLogger("werkzeug").setLevel(logging.WARNING)

REGION = "us-east-1"
BUCKET = "sagelab-test-bucket"


@dataclass
class MotoAWS:
    endpoint: str
    role_arn: str
    bucket: str = BUCKET
    region: str = REGION

    def requests_for(self, target: str) -> list[dict]:
        """Bodies of the JSON requests the server received for an API target (e.g. SageMaker.CreateTrainingJob)."""
        recording = requests.get(f"{self.endpoint}/moto-api/recorder/download-recording", timeout=10).text
        bodies = []
        for line in recording.splitlines():
            entry = json.loads(line)
            if entry["headers"].get("X-Amz-Target") == target:
                body = base64.b64decode(entry["body"]) if entry["body_encoded"] else entry["body"]
                bodies.append(json.loads(body))
        return bodies


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoAWS]:
    """Environment variables pointing the standard AWS chain at the moto server, a bucket and a role."""
    requests.post(f"{moto_server}/moto-api/reset", timeout=10)
    requests.post(f"{moto_server}/moto-api/recorder/reset-recording", timeout=10)
    requests.post(f"{moto_server}/moto-api/recorder/start-recording", timeout=10)
    for key, value in {
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(key, raising=False)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName="sagelab-training", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )["Role"]["Arn"]
    yield MotoAWS(endpoint=moto_server, role_arn=role)
    requests.post(f"{moto_server}/moto-api/recorder/stop-recording", timeout=10)
