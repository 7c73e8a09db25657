"""The job contract shared by every sagelab package: where a job's files are and what they hold.

A leaf package (it imports nothing of sagelab's): ``envs``-free, ``rl``, ``features`` and
``experiments`` all import it, so the facts below are spelled exactly once.

- :mod:`contract.layout`: the SageMaker container layout (``model/``, ``output/data/``, the archives,
  ``output/failure``, ``checkpoints/``, ``input/config/hyperparameters.json``) and its file names;
- :mod:`contract.sagemaker`: hyperparameter strings, ``input/config`` files and the ``SM_*`` variables;
- :mod:`contract.evaluation`: ``evaluation.json``, one typed record written by every job kind (imported
  from there: it alone needs pydantic, which light commands such as ``sagelab --help`` do not pay for);
- :mod:`contract.metrics`: the ``name=value;`` metric log lines and their regexes (MetricDefinitions);
- :mod:`contract.archives`: ``model.tar.gz`` / ``output.tar.gz``, packed and unpacked safely;
- :mod:`contract.fields`: the number fields of every config model (``Int``, ``Float``: booleans refused;
  imported from there, like the evaluation record, since it needs pydantic);
- :mod:`contract.unions`: config fields of several shapes (``env.normalize``: true/false or a mapping),
  the branch chosen by the value's shape, and error paths as the file spells them (imported from there).
"""

from contract.archives import extract_safely, pack_directory
from contract.layout import (
    CHECKPOINT_DIR,
    CONTAINER_ROOT,
    EVALUATION_FILE,
    FAILURE_FILE,
    HYPERPARAMETERS_FILE,
    LEARNING_CURVE_FILE,
    LEARNING_CURVE_PLOT,
    LOG_FILE,
    MODEL_ARCHIVE,
    MODEL_DIR,
    OUTPUT_ARCHIVE,
    OUTPUT_DATA_DIR,
    OUTPUT_DIR,
    ContainerPaths,
    is_stop_reason,
    read_failure,
    write_failure,
)
from contract.metrics import METRIC_DEFINITIONS, METRIC_NAMES, format_metrics, metric_regex, parse_metrics
from contract.sagemaker import (
    ENTRY_MODULE,
    container_environment,
    decode_hyperparameters,
    encode_hyperparameters,
    read_channels,
    read_hyperparameters,
    write_input_config,
)

__all__ = [
    "CHECKPOINT_DIR",
    "CONTAINER_ROOT",
    "ENTRY_MODULE",
    "EVALUATION_FILE",
    "FAILURE_FILE",
    "HYPERPARAMETERS_FILE",
    "LEARNING_CURVE_FILE",
    "LEARNING_CURVE_PLOT",
    "LOG_FILE",
    "METRIC_DEFINITIONS",
    "METRIC_NAMES",
    "MODEL_ARCHIVE",
    "MODEL_DIR",
    "OUTPUT_ARCHIVE",
    "OUTPUT_DATA_DIR",
    "OUTPUT_DIR",
    "ContainerPaths",
    "container_environment",
    "decode_hyperparameters",
    "encode_hyperparameters",
    "extract_safely",
    "format_metrics",
    "is_stop_reason",
    "metric_regex",
    "pack_directory",
    "parse_metrics",
    "read_channels",
    "read_failure",
    "read_hyperparameters",
    "write_failure",
    "write_input_config",
]
