"""AWS sessions and S3 locations. Credentials come only from the standard AWS chain (and
``AWS_ENDPOINT_URL`` redirects every client, as boto3 documents, which is how tests use a moto server)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from experiments.errors import UserError

if TYPE_CHECKING:
    import boto3
    from sagemaker.core.helper.session_helper import Session

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class S3Location:
    """An ``s3://bucket/key`` location."""

    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> S3Location:
        if not uri.startswith("s3://") or not uri[5:].split("/", 1)[0]:
            raise UserError(f"{uri!r} is not an S3 URI; expected s3://bucket/prefix")
        bucket, _, key = uri[5:].partition("/")
        return cls(bucket, key.strip("/"))

    def join(self, *parts: str) -> S3Location:
        return S3Location(self.bucket, "/".join(p.strip("/") for p in (self.key, *parts) if p.strip("/")))

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}" if self.key else f"s3://{self.bucket}"


def boto_session(region: str | None = None) -> boto3.Session:
    """A boto3 session on the default credential chain, in ``region`` (or the chain's, or us-east-1)."""
    import boto3

    session = boto3.Session(region_name=region) if region else boto3.Session()
    if session.region_name is None:
        session = boto3.Session(region_name=DEFAULT_REGION)
    if session.get_credentials() is None:
        raise UserError(
            "no AWS credentials found: configure them as for the AWS CLI (aws configure, AWS_PROFILE, "
            "environment variables or an instance role); sagelab never stores credentials"
        )
    return session


def sagemaker_session(region: str | None = None, default_bucket: str | None = None) -> Session:
    """A SageMaker SDK session on :func:`boto_session`."""
    from sagemaker.core.helper.session_helper import Session

    return Session(boto_session=boto_session(region), default_bucket=default_bucket)


def client(service: str, region: str | None = None) -> Any:
    """A boto3 client for ``service`` on the default credential chain."""
    return boto_session(region).client(service)


def console_url(region: str, job_name: str, kind: str = "jobs") -> str:
    """The SageMaker console page of a training job (``kind="jobs"``) or tuning job (``"hyper-tuning-jobs"``)."""
    return f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}#/{kind}/{job_name}"


def region_of(explicit: str | None) -> str:
    """The region a launch uses: the config's, else the credential chain's, else us-east-1."""
    return explicit or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
