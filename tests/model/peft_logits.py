"""Logits of a base model with a PEFT adapter on it, as PEFT computes them.

usage: peft_logits.py BASE_DIR ADAPTER_DIR IDS_JSON OUT_JSON
IDS_JSON holds [[token ids], ...] (rows of one length); OUT_JSON gets the logits
[rows][positions][vocab] of PeftModel.from_pretrained(base, adapter) in eval mode, float32.
"""
import json
import sys

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM


def main():
    base_dir, adapter_dir, ids_path, out_path = sys.argv[1:5]
    base = AutoModelForCausalLM.from_pretrained(base_dir, torch_dtype=torch.float32)
    model = PeftModel.from_pretrained(base, adapter_dir).eval()
    with open(ids_path) as f:
        ids = torch.tensor(json.load(f), dtype=torch.long)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits
    with open(out_path, "w") as f:
        json.dump(logits.float().tolist(), f)


if __name__ == "__main__":
    main()
