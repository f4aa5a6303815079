"""Kinds of model. Each kind is one module here, and everything of it that does not need torch is in it:

- an Experiment subclass with the fields only that kind needs, and the hooks of mlsandbox.experiments
  (details, open_runtime, evaluate, training_task) and of the command line (predict);
- its runtime class: ONNX Runtime in, plain Python results out;
- the name of its web module (mlsandbox.web.<kind>: its API routes) and of its page component.

Its training side (batches, loss, ONNX export) is mlsandbox.kinds.<kind>_training, imported only to train.
Adding a kind adds such modules; the registry, the CLI, the web app and the training loop stay as they are.
"""
