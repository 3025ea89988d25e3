"""Labeling: turn unlabeled texts into a training set, with a model's suggestions and active learning."""
