#!/usr/bin/env python3
"""transformers' generate() on a model folder, timed as `wizard bench-generate` times wizard.

Same settings as the wizard side: random prompts of --prompt-length tokens (seeded), greedy
decoding of exactly --new-tokens tokens (no EOS), batch sizes from --batch, the model in
--dtype, torch's intra-op threads set to --threads. Prompt processing is timed apart: the
time of generate(max_new_tokens=1) is the prefill (prompt forward + first token); decode
tokens/s = batch * (new_tokens - 1) / (time of the full call - prefill); the same for
processor time. Each figure is the best of --repeats runs after one warm-up run. Prints one
line per batch size, in the same format as wizard's.

  python scripts/bench_generate_transformers.py MODEL_DIR --batch 1,16 --dtype bfloat16
"""
import argparse
import time

import torch
import transformers


def timed_generate(model, ids, mask, new_tokens):
    start, cpu = time.perf_counter(), time.process_time()
    with torch.inference_mode():
        out = model.generate(
            input_ids=ids,
            attention_mask=mask,
            max_new_tokens=new_tokens,
            min_new_tokens=new_tokens,
            do_sample=False,
            eos_token_id=None,
            pad_token_id=0,
        )
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert out.shape[1] == ids.shape[1] + new_tokens, out.shape
    return elapsed, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--batch", default="1,16")
    parser.add_argument("--prompt-length", type=int, default=128)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    model = transformers.AutoModelForCausalLM.from_pretrained(args.model, dtype=dtype)
    model.eval()
    vocab = model.config.vocab_size
    print(
        f"transformers {transformers.__version__}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, attention {model.config._attn_implementation}, "
        f"{args.dtype}"
    )
    generator = torch.Generator().manual_seed(args.seed)
    for batch in [int(b) for b in args.batch.split(",")]:
        ids = torch.randint(3, min(vocab, 32000), (batch, args.prompt_length), generator=generator)
        mask = torch.ones_like(ids)
        timed_generate(model, ids, mask, 2)  # warm-up
        prefill, full = [float("inf")] * 2, [float("inf")] * 2
        for _ in range(args.repeats):
            one = timed_generate(model, ids, mask, 1)
            prefill = [min(a, b) for a, b in zip(prefill, one)]
            everything = timed_generate(model, ids, mask, args.new_tokens)
            full = [min(a, b) for a, b in zip(full, everything)]
        decode = max(full[0] - prefill[0], 1e-9)
        decode_cpu = max(full[1] - prefill[1], 0.0)
        steps = args.new_tokens - 1
        print(
            f"transformers batch {batch}: prompt {batch * args.prompt_length / prefill[0]:.1f} "
            f"tokens/s ({prefill[0]:.3f} s for {batch} x {args.prompt_length} tokens and the first "
            f"new one), decode {batch * steps / decode:.2f} tokens/s "
            f"({decode / steps * 1000:.1f} ms per step, {decode_cpu / steps * 1000:.1f} ms "
            f"processor time)",
            flush=True,
        )


if __name__ == "__main__":
    main()
