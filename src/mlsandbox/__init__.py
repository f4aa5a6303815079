"""Interactive machine learning experiments: train small models, then play with them in the browser."""

__version__ = "0.1.0"
