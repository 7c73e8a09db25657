"""The ``sagemaker:`` section of a job config: where and how a job runs on Amazon SageMaker."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contract.fields import Int
from contract.layout import CHECKPOINT_DIR

_ROLE_ARN = r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$"
_S3_URI = r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$"


class SageMakerConfig(BaseModel):
    """Launch settings for ``--backend sagemaker``. Credentials never go here: the AWS chain provides them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: str = Field(
        pattern=_ROLE_ARN, description="IAM role ARN SageMaker assumes, arn:aws:iam::<account>:role/<name>"
    )
    region: str | None = Field(None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d$", description="AWS region, e.g. us-east-1")
    instance_type: str = Field("ml.m5.large", pattern=r"^ml\.[a-z0-9-]+\.[a-z0-9]+$", description="ml.* instance type")
    instance_count: Int = Field(1, ge=1, le=100)
    output_path: str = Field(pattern=_S3_URI, description="s3://bucket/prefix for model.tar.gz and output.tar.gz")
    image_uri: str | None = Field(
        None, description="training image; default: the PyTorch training image for the region"
    )
    framework_version: str = Field("2.5", description="PyTorch image version used when image_uri is not given")
    py_version: str = Field("py311", pattern=r"^py3\d+$")
    max_run_seconds: Int = Field(86_400, ge=60, le=28 * 86_400)
    use_spot: bool = False
    max_wait_seconds: Int | None = Field(None, ge=60, description="spot: total time including waiting for capacity")
    checkpoint_s3_uri: str | None = Field(
        None, pattern=_S3_URI, description=f"default: <output_path>/{CHECKPOINT_DIR}/<job>"
    )
    volume_size_gb: Int = Field(30, ge=1, le=16_384)
    tags: dict[str, str] = Field(default_factory=dict)
    environment: dict[str, str] = Field(default_factory=dict, description="extra environment variables for the job")
    validate_role: bool = Field(
        True, description="false sets SAGEMAKER_VALIDATE_ROLE=false (skips the SDK's IAM SimulatePrincipalPolicy check)"
    )

    @model_validator(mode="after")
    def _spot_settings(self) -> SageMakerConfig:
        if self.max_wait_seconds is not None and not self.use_spot:
            raise ValueError("max_wait_seconds applies only with use_spot: true")
        if self.use_spot and self.max_wait_seconds is not None and self.max_wait_seconds < self.max_run_seconds:
            raise ValueError(
                f"max_wait_seconds ({self.max_wait_seconds}) must be >= max_run_seconds ({self.max_run_seconds}) for "
                "spot"
            )
        for key in self.environment:
            if key.startswith(("AWS_ACCESS", "AWS_SECRET", "AWS_SESSION")):
                raise ValueError(
                    f"environment.{key}: credentials must come from the AWS credential chain, not the config"
                )
        return self
