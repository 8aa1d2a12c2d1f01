"""One bitsandbytes AdamW8bit update on the CPU, for adamw8bit_test.cpp.

Reads a JSON file {"lr", "beta1", "beta2", "eps", "weight_decay", "parameter", "gradient",
"step", "state1", "absmax1", "state2", "absmax2"}: the optimizer's state is set to the given
8-bit codes and absmax as after step - 1 updates, then one step is taken. Prints JSON with the
parameter, the new state and bitsandbytes' dynamic maps (qmap1, qmap2).
"""
import json
import sys

import torch
import bitsandbytes as bnb


def main(path):
    with open(path) as f:
        spec = json.load(f)
    parameter = torch.nn.Parameter(torch.tensor(spec["parameter"], dtype=torch.float32))
    optimizer = bnb.optim.AdamW8bit(
        [parameter],
        lr=spec["lr"],
        betas=(spec["beta1"], spec["beta2"]),
        eps=spec["eps"],
        weight_decay=spec["weight_decay"],
        min_8bit_size=4096,
    )
    group = optimizer.param_groups[0]
    optimizer.init_state(group, parameter, 0, 0)
    state = optimizer.state[parameter]
    state["step"] = spec["step"] - 1
    for key, dtype in (("state1", torch.uint8), ("state2", torch.uint8),
                       ("absmax1", torch.float32), ("absmax2", torch.float32)):
        state[key].copy_(torch.tensor(spec[key], dtype=dtype).reshape(state[key].shape))
    parameter.grad = torch.tensor(spec["gradient"], dtype=torch.float32)
    optimizer.step()
    out = {"bitsandbytes": bnb.__version__, "parameter": parameter.detach().tolist()}
    for key in ("state1", "state2", "absmax1", "absmax2", "qmap1", "qmap2"):
        out[key] = state[key].reshape(-1).tolist()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
