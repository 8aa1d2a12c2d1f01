"""Prints the scalars of a TensorBoard log folder as JSON: {tag: [[step, value], ...]}.

Read with TensorBoard's own EventAccumulator, as `tensorboard --logdir` reads the files.
"""
import json
import sys

from tensorboard.backend.event_processing import event_accumulator

accumulator = event_accumulator.EventAccumulator(sys.argv[1], size_guidance={"scalars": 0})
accumulator.Reload()
print(json.dumps({tag: [[e.step, e.value] for e in accumulator.Scalars(tag)]
                  for tag in accumulator.Tags()["scalars"]}))
