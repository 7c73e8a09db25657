"""Running jobs on Amazon SageMaker: the ``sagemaker:`` config section and the launcher."""
