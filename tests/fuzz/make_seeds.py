#!/usr/bin/env python3
"""Seed corpora for the fuzz harnesses, from the repository's examples and the shared fixtures.

    make_seeds.py OUT_DIR [SHARED_DIR]

Writes OUT_DIR/<harness>/<name> files in each harness's input format (fuzz_*.cpp): a format
byte before config and row files, whole small safetensors files, tokenizer.json files cut down
to a few hundred tokens (the real ones are megabytes), tokenizer_config.json files and chat
templates as they are. Missing fixtures are skipped, so the script runs on any checkout.
"""
import csv
import io
import json
import pathlib
import struct
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def write(out: pathlib.Path, harness: str, name: str, data: bytes) -> None:
    folder = out / harness
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def head_lines(path: pathlib.Path, count: int) -> bytes:
    with path.open("rb") as f:
        return b"".join(line for _, line in zip(range(count), f))


def config_seeds(out: pathlib.Path, shared: pathlib.Path) -> None:
    tomls = sorted(ROOT.glob("examples/*/config.toml"))
    tomls += sorted(shared.glob("compat/training-wizard/examples/*/config.toml"))
    for i, path in enumerate(tomls):
        text = path.read_bytes()
        write(out, "config", f"toml-{i}", b"t" + text)
        write(out, "config", f"toml-set-{i}", b"t" + text +
              b"\n%%\ntraining_args_spec.beta=0.2\ndataset_spec={spec_class = \"jsonl\"}\n")
        try:
            document = tomllib.loads(text.decode())
            write(out, "config", f"json-{i}", b"j" + json.dumps(document, indent=1).encode())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, TypeError):
            pass
    for i, path in enumerate(sorted(shared.glob("compat/*/config/*.yaml"))):
        write(out, "config", f"yaml-{i}", b"y" + path.read_bytes())


def row_seeds(out: pathlib.Path, shared: pathlib.Path) -> None:
    jsonls = sorted(ROOT.glob("examples/data/*.jsonl")) + sorted(shared.glob("compat/*/*/*.jsonl"))
    jsonls += sorted(shared.glob("compat/*/*/*/*.jsonl"))
    for i, path in enumerate(jsonls):
        lines = head_lines(path, 6)
        write(out, "rows", f"jsonl-{i}", b"l" + lines)
        rows = [json.loads(line) for line in lines.splitlines() if line.strip()]
        write(out, "rows", f"json-{i}", b"j" + json.dumps(rows).encode())
        write(out, "rows", f"json-field-{i}", b"J" + json.dumps({"rows": rows}).encode())
        flat = [{k: v if isinstance(v, str) else json.dumps(v) for k, v in row.items()}
                for row in rows if isinstance(row, dict)]
        if flat:
            for letter, delimiter in (("c", ","), ("t", "\t")):
                text = io.StringIO()
                writer = csv.DictWriter(text, fieldnames=list(flat[0]), delimiter=delimiter,
                                        extrasaction="ignore")
                writer.writeheader()
                writer.writerows(flat)
                write(out, "rows", f"csv-{letter}-{i}", letter.encode() + text.getvalue().encode())
    write(out, "rows", "csv-types", b"cid,score,ok,text\n1,0.5,True,\"a, \"\"b\"\"\"\n2,,False,c\n")


def safetensors_file(tensors: dict, metadata: dict | None = None) -> bytes:
    """A safetensors file of {name: (dtype, shape, raw bytes)}."""
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def safetensors_seeds(out: pathlib.Path, shared: pathlib.Path) -> None:
    write(out, "safetensors_header", "small", safetensors_file({
        "w": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)),
        "b": ("BF16", [3], b"\x80\x3f" * 3),
        "i": ("I64", [1], struct.pack("<q", 7)),
        "flag": ("BOOL", [2], b"\x01\x00"),
        "e": ("F16", [0], b""),
    }, {"format": "pt"}))
    write(out, "safetensors_header", "f8", safetensors_file({"x": ("F8_E4M3", [4], b"\x38" * 4)}))
    write(out, "safetensors_header", "scalar", safetensors_file({"s": ("F64", [], struct.pack("<d", 1.5))}))
    # The refs' model headers, with every tensor shrunk to one element.
    for i, path in enumerate(sorted(shared.glob("refs/public/models/*/model.safetensors"))):
        with path.open("rb") as f:
            length = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(length))
        sizes = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8}
        tensors = {name: (entry["dtype"], [1] * len(entry["shape"]),
                          b"\x00" * sizes.get(entry["dtype"], 4))
                   for name, entry in header.items() if name != "__metadata__"}
        write(out, "safetensors_header", f"model-{i}",
              safetensors_file(tensors, header.get("__metadata__")))


def shrink_tokenizer(document: dict, keep: int = 300) -> dict:
    """The same tokenizer.json layout with the first `keep` vocabulary entries and the merges
    that stay inside them."""
    model = document.get("model", {})
    vocab = model.get("vocab")
    if isinstance(vocab, dict):
        kept = dict(sorted(vocab.items(), key=lambda item: item[1])[:keep])
        model["vocab"] = kept
        merges = []
        for merge in model.get("merges", []):
            parts = merge.split(" ") if isinstance(merge, str) else merge
            if len(parts) == 2 and parts[0] in kept and parts[1] in kept and "".join(parts) in kept:
                merges.append(merge)
        model["merges"] = merges[:200]
    document["added_tokens"] = [t for t in document.get("added_tokens", [])][:20]
    return document


def tokenizer_seeds(out: pathlib.Path, shared: pathlib.Path) -> None:
    for i, path in enumerate(sorted(shared.glob("refs/public/tokenizers/*/tokenizer.json"))):
        document = shrink_tokenizer(json.loads(path.read_text()))
        write(out, "tokenizer_json", f"{path.parent.name}-{i}", json.dumps(document).encode())
    configs = sorted(shared.glob("refs/public/tokenizers/*/tokenizer_config.json"))
    configs += sorted(shared.glob("compat/**/tokenizer_config.json"))
    for i, path in enumerate(configs):
        text = path.read_bytes()
        write(out, "tokenizer_config", f"config-{i}", text)
        template = json.loads(text).get("chat_template")
        if isinstance(template, str):
            write(out, "chat_template", f"config-{i}", template.encode())
    write(out, "tokenizer_config", "tokens",
          b'{"bos_token": {"content": "a", "special": true}, "eos_token": "<|im_end|>", '
          b'"chat_template": [{"name": "default", "template": "{{ messages[0].content }}"}]}')


def chat_template_seeds(out: pathlib.Path, shared: pathlib.Path) -> None:
    cases = shared / "refs/public/chat_cases.json"
    if cases.exists():
        templates = json.loads(cases.read_text()).get("templates", {})
        for name, source in templates.items():
            if isinstance(source, dict):
                source = source.get("template") or source.get("source") or json.dumps(source)
            write(out, "chat_template", f"case-{name}", str(source).encode())
    write(out, "chat_template", "chatml",
          b"{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n"
          b"{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    write(out, "chat_template", "features",
          b"{%- set ns = namespace(n=0) -%}{% macro f(x) %}{{ x | tojson }}{% endmacro %}"
          b"{% for i in range(3) if i > 0 %}{{ loop.index }}{{ f(i) }}{% set ns.n = ns.n + i %}"
          b"{% endfor %}{{ ns.n }}{{ 'a b'.split() | join('-') | upper }}{{ raise_exception('x') "
          b"if false }}{{ messages | length }}{{ tools[0].function.name if tools }}")


def main() -> None:
    out = pathlib.Path(sys.argv[1])
    shared = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT.parent / "shared"
    for make in (config_seeds, row_seeds, safetensors_seeds, tokenizer_seeds, chat_template_seeds):
        make(out, shared)
    for folder in sorted(out.iterdir()):
        print(f"seeds: {folder.name}: {len(list(folder.iterdir()))} files")


if __name__ == "__main__":
    main()
